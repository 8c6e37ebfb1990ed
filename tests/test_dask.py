"""Beyond one machine: a search spread by joblib's Dask backend and training block by block
(dask_ml's Incremental on a dask array, numpy.memmap on one machine), each checked against the
same work done in memory, in one process; and fitted estimators that pickle without their data.

The cluster is a real ``dask.distributed.LocalCluster``: two worker processes on 127.0.0.1,
started once for this module and closed at its end (then none of its processes is left).
"""

import os
import pickle

import numpy as np
import pytest

pytest.importorskip("sklearn")
distributed = pytest.importorskip("distributed")

import dask.array as da  # noqa: E402
import joblib  # noqa: E402
import psutil  # noqa: E402  (a dependency of distributed)
from scipy.stats import loguniform  # noqa: E402
from sklearn.datasets import load_breast_cancer, make_classification  # noqa: E402
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV  # noqa: E402
from sklearn.utils import check_random_state  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from numpy_mlp.sklearn import MLPClassifier  # noqa: E402

N_WORKERS = 2


@pytest.fixture(scope="module")
def client():
    """A client of a LocalCluster: N_WORKERS processes of one thread each, every address on 127.0.0.1.

    Its lifetime is bounded even if the module is interrupted: the worker processes exit with
    this one (distributed watches the parent) or 10 s after losing the scheduler (death_timeout),
    and the scheduler shuts down after 60 s without work (idle_timeout).
    """
    with distributed.LocalCluster(n_workers=N_WORKERS, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address="127.0.0.1:0", death_timeout=10,
                                  scheduler_kwargs={"idle_timeout": "60s"}) as cluster, \
            distributed.Client(cluster) as client:
        client.wait_for_workers(N_WORKERS, timeout=60)
        worker_pids = list(client.run(os.getpid).values())
        yield client
    assert not [pid for pid in worker_pids if psutil.pid_exists(pid)], "worker processes outlived the cluster"


def with_one_blas_thread(run):
    """``run()`` with one BLAS thread, as in dask's workers (distributed sets OPENBLAS_NUM_THREADS=1
    in them), so that a comparison with the cluster does not depend on how a BLAS splits its sums."""
    with threadpool_limits(limits=1):
        return run()


def test_the_cluster_listens_on_127_0_0_1_only(client):
    info = client.scheduler_info()
    addresses = [info["address"], *info["workers"]]
    assert len(addresses) == 1 + N_WORKERS
    assert all(address.startswith("tcp://127.0.0.1:") for address in addresses), addresses
    # every socket they listen on: scheduler, nannies and HTTP server here, each worker's own
    pids = {os.getpid(), *client.run(os.getpid).values()}
    listening = [connection.laddr for connection in psutil.net_connections(kind="tcp")
                 if connection.pid in pids and connection.status == psutil.CONN_LISTEN]
    assert len(listening) > len(addresses)
    assert {address.ip for address in listening} == {"127.0.0.1"}, listening


SEARCHES = {
    "grid": lambda n_jobs: GridSearchCV(
        MLPClassifier(max_iter=20, standardize=True, random_state=0),
        {"hidden_layer_sizes": [(8,), (16, 8)], "learning_rate_init": [1e-3, 1e-2]}, cv=3, n_jobs=n_jobs),
    "randomized": lambda n_jobs: RandomizedSearchCV(
        MLPClassifier(max_iter=20, standardize=True, random_state=0),
        {"hidden_layer_sizes": [(8,), (16,), (16, 8)], "learning_rate_init": loguniform(1e-4, 1e-1),
         "batch_size": [16, 64]}, n_iter=4, cv=3, random_state=0, n_jobs=n_jobs),
}


@pytest.mark.parametrize("kind", sorted(SEARCHES))
def test_a_search_on_the_cluster_gives_the_serial_cv_results(client, kind):
    X, y = load_breast_cancer(return_X_y=True)
    serial = with_one_blas_thread(lambda: SEARCHES[kind](None).fit(X, y))
    with distributed.get_task_stream(client) as tasks, joblib.parallel_config(backend="dask"):
        spread = SEARCHES[kind](-1).fit(X, y)

    workers_used = {task["worker"] for task in tasks.data}
    assert workers_used == set(client.scheduler_info()["workers"]), "the fits did not run on every worker"
    results, expected = spread.cv_results_, serial.cv_results_
    assert results.keys() == expected.keys()
    for key in expected:
        if key.endswith("_time"):  # timings are the one thing allowed to differ
            continue
        if key.startswith("param"):
            assert list(results[key]) == list(expected[key]), key
        else:
            np.testing.assert_array_equal(results[key], expected[key], err_msg=key)
    assert spread.best_params_ == serial.best_params_
    assert serial.best_score_ > 0.9  # the search compared models that learned


def block_order(n_blocks: int, random_state: int) -> list[int]:
    """The order in which dask_ml's Incremental visits the blocks: a shuffle by sklearn's RandomState
    (dask_ml._partial.fit), the same on every pass for an int random_state."""
    order = list(range(n_blocks))
    check_random_state(random_state).shuffle(order)
    return order


def stored_in_blocks(folder, array: np.ndarray, rows_per_block: int):
    """``array`` written as one .npy file per block of rows, and read back as a dask array whose
    blocks are loaded from those files by whichever worker needs them."""
    da.to_npy_stack(folder, da.from_array(array, chunks=(rows_per_block, *array.shape[1:])))
    return da.from_npy_stack(folder)


def test_incremental_on_the_cluster_trains_like_partial_fit_in_memory(client, tmp_path):
    """20 blocks, stored one .npy file each and read by the workers (the client never holds the
    training set), three passes: the same 60 partial_fit calls in the same order as in memory,
    so the same model, to the last bit."""
    Incremental = pytest.importorskip("dask_ml.wrappers").Incremental
    X, y = make_classification(n_samples=8000, n_features=20, n_informative=10, n_classes=4,
                               random_state=0)
    X = X.astype(np.float32)
    X_train, y_train, X_test, y_test = X[:6000], y[:6000], X[6000:], y[6000:]
    n_blocks, block, passes, classes = 20, 300, 3, np.arange(4)
    X_blocks = stored_in_blocks(tmp_path / "X", X_train, block)
    y_blocks = stored_in_blocks(tmp_path / "y", y_train, block)
    assert X_blocks.numblocks == (n_blocks, 1)

    def estimator():
        # standardize would learn its scaling from the first block alone; these features are of order 1
        return MLPClassifier(hidden_layer_sizes=(64, 32), learning_rate_init=1e-2, batch_size=64,
                             standardize=False, random_state=0)

    incremental = Incremental(estimator(), random_state=0)
    for _ in range(passes):
        incremental.partial_fit(X_blocks, y_blocks, classes=classes)

    def in_memory():
        model = estimator()
        for _ in range(passes):
            for index in block_order(n_blocks, random_state=0):
                rows = slice(index * block, (index + 1) * block)
                model.partial_fit(X_train[rows], y_train[rows], classes=classes)
        return model
    reference = with_one_blas_thread(in_memory)

    trained = incremental.estimator_
    assert trained.t_ == reference.t_ == passes * len(y_train)  # samples seen, over every partial_fit
    np.testing.assert_array_equal(trained.predict_proba(X_test), reference.predict_proba(X_test))
    predicted = incremental.predict(da.from_array(X_test, chunks=500)).compute()  # on the workers
    np.testing.assert_array_equal(predicted, reference.predict(X_test))
    assert np.mean(predicted == y_test) >= 0.8  # four classes: chance is 0.25


@pytest.mark.parametrize("early_stopping", [False, True])
def test_a_pickled_estimator_holds_its_parameters_and_optimizer_not_its_data(early_stopping):
    """What goes from worker to worker when a model is trained block by block (and what a search
    with return_estimator or a refit ships): the MNIST-shaped network 784-256-128-10 with Adam
    is its parameters, their gradients and Adam's two moments (4 arrays of the parameters'
    size), the standardisation's mean and std, and a few kB of names and numbers, whether
    it was trained on 100 rows or on 2000 (6.3 MB of features)."""
    rng = np.random.default_rng(0)
    sizes = {}
    for n_rows in (100, 2000):
        X = rng.random((n_rows, 784), dtype=np.float32)
        y = rng.integers(0, 10, n_rows)
        estimator = MLPClassifier(hidden_layer_sizes=(256, 128), max_iter=1, batch_size=128, standardize=True,
                                  early_stopping=early_stopping, random_state=0).fit(X, y)
        model = estimator.model_
        parameter_bytes = sum(value.nbytes for value, _ in model.parameters())
        expected = 4 * parameter_bytes + model.scaler.mean.nbytes + model.scaler.std.nbytes
        if early_stopping:  # and the weights of the best epoch, kept as scikit-learn keeps them
            expected += parameter_bytes
        sizes[n_rows] = len(pickle.dumps(estimator))
        assert expected <= sizes[n_rows] <= expected + 16_000, (n_rows, sizes[n_rows], expected)
    assert abs(sizes[2000] - sizes[100]) < 1000, sizes
