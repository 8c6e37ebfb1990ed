"""Bad input gets a ValueError or TypeError that names the problem."""

import numpy as np
import pytest
from helpers import make_xor

from numpy_mlp import MLP, EarlyStopping
from numpy_mlp.validation import check_dtype, check_features, check_labels, check_positive_float, check_positive_int

nan, inf = float("nan"), float("inf")


def fitted_model(**options):
    X, y = make_xor()
    model = MLP(2, [4, 1], seed=0, **options)
    model.fit(X, y, epochs=1, batch_size=4, verbose=0)
    return model


def fit(X, y, layers=(4, 1), **options):
    options = {"epochs": 1, "verbose": 0, **options}
    return MLP(2, list(layers), seed=0).fit(X, y, **options)


X, Y = make_xor()


@pytest.mark.parametrize("bad_value, message", [(nan, "X contains NaN or infinity \\(at row 2, column 1\\)"),
                                                (inf, "X contains NaN or infinity"),
                                                (-inf, "X contains NaN or infinity")])
def test_nan_or_inf_in_X(bad_value, message):
    features = X.copy()
    features[2, 1] = bad_value
    with pytest.raises(ValueError, match=message):
        fit(features, Y)
    with pytest.raises(ValueError, match=message):
        fitted_model().predict(features)


@pytest.mark.parametrize("labels", [[0, 1, nan, 0], [0, 1, inf, 0], np.array([0, 1, None, 0], dtype=object),
                                    np.array(["a", "b", nan, "a"], dtype=object)])
def test_nan_inf_or_missing_in_y(labels):
    with pytest.raises(ValueError, match="y contains NaN, infinity or missing values \\(at row 2\\)"):
        fit(X, labels)


def test_nan_in_multi_label_y():
    with pytest.raises(ValueError, match="y contains NaN"):
        fit(X, [[0, 1], [1, nan], [0, 0], [1, 1]], layers=(4, 2))


def test_wrong_number_of_features_at_predict():
    model = fitted_model()
    with pytest.raises(ValueError, match="X has 3 features, but the model expects 2"):
        model.predict(np.ones((4, 3)))
    with pytest.raises(ValueError, match="X has 3 features, but the model expects 2"):
        model.predict_proba(np.ones((4, 3)))
    with pytest.raises(ValueError, match="X has 1 features, but the model expects 2"):
        model.evaluate(np.ones((4, 1)), Y)
    with pytest.raises(ValueError, match="X has 3 features, but the model expects 2"):
        fit(np.ones((4, 3)), Y)


def test_X_and_y_of_different_lengths():
    with pytest.raises(ValueError, match="X has 4 samples but y has 3; they must match"):
        fit(X, Y[:3])
    with pytest.raises(ValueError, match="X has 4 samples but y has 3"):
        fitted_model().evaluate(X, Y[:3])
    with pytest.raises(ValueError, match=r"y must have shape \(4, 2\)"):
        fit(X, np.zeros((3, 2)), layers=(4, 2))


def test_empty_input():
    with pytest.raises(ValueError, match=r"X is empty \(shape \(0, 2\)\)"):
        fit(np.empty((0, 2)), [])
    with pytest.raises(ValueError, match="X is empty"):
        fitted_model().predict(np.empty((0, 2)))
    with pytest.raises(ValueError, match="X is empty"):
        fit([], [])  # not "must be 2-D": the problem is that there is nothing


def test_more_than_two_classes_for_a_single_output_network():
    with pytest.raises(ValueError, match="y has 3 classes but a single-output sigmoid network separates two; "
                                         "use output='softmax' with 3 outputs"):
        fit(X, ["a", "b", "c", "a"])
    with pytest.raises(ValueError, match="y has 3 classes"):
        fit(X, [0, 1, 2, 0])


def test_a_single_class():
    with pytest.raises(ValueError, match="y has only one class \\('a'\\)"):
        fit(X, ["a"] * 4)


def test_softmax_labels_must_fit_the_outputs():
    with pytest.raises(ValueError, match="y has 4 distinct labels but the network has 3 outputs"):
        MLP(2, [4, 3], output="softmax").fit(X, ["a", "b", "c", "d"], verbose=0)


def test_a_label_never_seen_in_training():
    model = MLP(2, [4, 1], seed=0)
    model.fit(X, ["no", "yes", "yes", "no"], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="y has label 'maybe', which is not one of the model's classes"):
        model.evaluate(X, ["no", "yes", "maybe", "no"])


@pytest.mark.parametrize("features", [[["a", "b"], ["c", "d"]], np.array([[1, "x"], [2, "3"]], dtype=object),
                                      [[1.0, {}], [2.0, 3.0]]])
def test_non_numeric_features(features):
    with pytest.raises(ValueError, match="X has non-numeric values"):
        MLP(2, [1]).fit(features, [0, 1], verbose=0)


@pytest.mark.parametrize("features", [[[1.0, 2.0], [3.0, "x"]], np.array([[1.0, 2.0], [3.0, "x"]], dtype=object)])
def test_the_first_non_numeric_cell_is_named(features):
    with pytest.raises(ValueError, match="X has non-numeric values \\('x' at row 1, column 1\\)"):
        MLP(2, [1]).fit(features, [0, 1], verbose=0)


def test_a_pandas_missing_value_is_called_missing_not_non_numeric():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": pd.array([1, 2, None, 4], dtype="Int64"), "b": [0.5, 0.1, 0.3, 0.9]})
    with pytest.raises(ValueError, match="X has a missing value \\(<NA> at row 2, column 0\\); fill or drop"):
        MLP(2, [1]).fit(frame, [0, 1, 0, 1], verbose=0)


def test_labels_mixing_strings_and_numbers():
    # A list such as [0, "a"] becomes strings in NumPy; an object array (a pandas column) stays mixed.
    labels = np.array([0, "a", 1, "a"], dtype=object)
    with pytest.raises(ValueError, match="y mixes strings and numbers as labels \\(such as 'a' and 0\\)"):
        MLP(2, [1]).fit(X, labels, verbose=0)


def test_a_value_too_large_for_the_models_dtype_is_named():
    X_big = np.array([[0.5, 1.0], [2.0, 1e300]])  # finite in float64, infinite in float32
    with pytest.raises(ValueError, match=r"X has a value too large for float32 \(at row 1, column 1\)"):
        MLP(2, [1]).fit(X_big, [0, 1], verbose=0)
    assert check_features(X_big, np.float64)[1, 1] == 1e300  # float64 holds it


def test_numeric_strings_are_numbers():
    # A CSV read without dtype gives strings such as "1.5": they are numbers.
    model = MLP(2, [1], seed=0)
    model.fit([["0", "1.5"], ["1", "-2"]], [0, 1], epochs=1, verbose=0)
    assert model.predict_proba([["0", "1.5"]]).shape == (1,)


@pytest.mark.parametrize("features, message", [(np.ones(4), "X must be 2-D .* got a 1-D array of length 4"),
                                               (np.ones((2, 2, 1)), "X must be 2-D .* got shape \\(2, 2, 1\\)"),
                                               (np.array([[1, 2]], dtype="datetime64[s]"), "not numbers")])
def test_X_must_be_a_2d_numeric_array(features, message):
    with pytest.raises(ValueError, match=message):
        check_features(features)


def test_y_must_be_one_dimensional():
    with pytest.raises(ValueError, match=r"y must be 1-D or a single column, got shape \(4, 2\)"):
        fit(X, np.zeros((4, 2)))


@pytest.mark.parametrize("learning_rate", [0, -0.5, nan, inf])
def test_non_positive_learning_rate(learning_rate):
    with pytest.raises(ValueError, match="learning_rate must be a positive finite number"):
        fit(X, Y, learning_rate=learning_rate)
    with pytest.raises(ValueError, match="learning_rate must be a positive finite number"):
        MLP(2, [1]).optimize(learning_rate)


def test_learning_rate_must_be_a_number():
    with pytest.raises(TypeError, match="learning_rate must be a number"):
        fit(X, Y, learning_rate="0.1")


@pytest.mark.parametrize("layers", [[0, 1], [-3, 1], [4, 0]])
def test_zero_or_negative_layer_sizes(layers):
    with pytest.raises(ValueError, match="neurons_per_layer must be a positive integer"):
        MLP(2, layers)


@pytest.mark.parametrize("dtype", [np.int64, np.float16, "int8", "complex128", bool])
def test_bad_dtype(dtype):
    with pytest.raises(ValueError, match="dtype must be float32 or float64, got"):
        MLP(2, [1], dtype=dtype)
    with pytest.raises(TypeError, match="dtype must be float32 or float64, got 'not-a-dtype'"):
        MLP(2, [1], dtype="not-a-dtype")


@pytest.mark.parametrize("options, error, message", [
    ({"epochs": 0}, ValueError, "epochs must be a positive integer"),
    ({"epochs": 2.5}, TypeError, "epochs must be an integer"),
    ({"batch_size": 0}, ValueError, "batch_size must be a positive integer"),
    ({"verbose": 3}, ValueError, "verbose must be 0, 1, 2 or 'auto'"),
    ({"validation_split": 1.5}, ValueError, "validation_split must be a fraction in \\(0, 1\\)"),
    ({"validation_split": 0}, ValueError, "validation_split must be a fraction"),
    ({"validation_split": 0.01}, ValueError, "leaves no samples"),
    ({"validation_data": (X, Y), "validation_split": 0.5}, ValueError, "not both"),
    ({"validation_data": X}, ValueError, "validation_data must be a pair"),
    ({"early_stopping": "yes"}, TypeError, "early_stopping must be a patience"),
    ({"early_stopping": -1}, ValueError, "patience must be an integer >= 0"),
    ({"optimizer": "adam"}, TypeError, "optimizer must be an Optimizer"),
])
def test_bad_fit_options(options, error, message):
    with pytest.raises(error, match=message):
        fit(X, Y, **options)


def test_validation_data_is_checked_like_training_data():
    with pytest.raises(ValueError, match="X has 3 features"):
        fit(X, Y, validation_data=(np.ones((2, 3)), [0, 1]))
    with pytest.raises(ValueError, match="not one of the model's classes"):
        fit(X, Y, validation_data=(X, [0, 1, 2, 0]))


def test_a_standardising_model_must_be_fitted_before_predicting():
    with pytest.raises(ValueError, match="standardises its inputs but was never fitted"):
        MLP(2, [1], standardize=True).predict(X)


def test_early_stopping_accepts_an_instance():
    # With min_delta this large no epoch after the first counts as an improvement: patience 1
    # stops the run after epoch 2 and keeps epoch 1 (the default patience would run all 5).
    stopper = EarlyStopping(patience=1, monitor="loss", min_delta=1e9)
    history = fit(X, Y, epochs=5, early_stopping=stopper)
    assert history.epochs == [1, 2] and history.best_epoch == 1


def test_pandas_dataframe_with_mixed_column_types():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"count": [1, 2, 3, 4], "ratio": [0.5, 0.1, 0.3, 0.9]})
    model = MLP(2, [4, 1], seed=0)
    model.fit(frame, pd.Series([True, False, True, False]), epochs=2, verbose=0)
    assert model.predict(frame).dtype == bool
    with pytest.raises(ValueError, match="X has non-numeric values"):
        model.predict(frame.assign(ratio=["a", "b", "c", "d"]))
    with pytest.raises(ValueError, match="X contains NaN"):
        model.predict(frame.assign(ratio=[0.5, None, 0.3, 0.9]))


# -- the checkers themselves -----------------------------------------------------------------

def test_check_positive_int():
    assert check_positive_int(np.int64(3), "n") == 3
    with pytest.raises(TypeError, match="n must be an integer, got True"):
        check_positive_int(True, "n")
    with pytest.raises(ValueError, match="n must be a positive integer, got 0"):
        check_positive_int(0, "n")


def test_check_positive_float():
    assert check_positive_float(np.float32(0.5), "rate") == 0.5
    assert type(check_positive_float(np.float64(0.5), "rate")) is float  # never a NumPy scalar
    with pytest.raises(TypeError, match="rate must be a number"):
        check_positive_float(None, "rate")


def test_check_dtype():
    assert check_dtype("float32") == np.float32 and check_dtype(np.float64) == np.float64


def test_check_features_casts_once_to_a_contiguous_array_of_the_dtype():
    features = check_features(np.asfortranarray(np.ones((3, 2))), np.float32)
    assert features.dtype == np.float32 and features.flags.c_contiguous
    assert check_features([[True, False]], np.float64).tolist() == [[1.0, 0.0]]


def test_check_labels_flattens_a_column():
    assert check_labels(np.array([[1], [0]]), 2).shape == (2,)


# -- arrays that used to be accepted wrongly --------------------------------------------------

def test_complex_features_are_refused_not_cut_to_their_real_part():
    complex_X = X.astype(np.complex128) + 1j
    with pytest.raises(ValueError, match=r"X holds complex numbers \(complex128\)"):
        fit(complex_X, Y)
    with pytest.raises(ValueError, match="X holds complex numbers"):
        fitted_model().predict(complex_X)
    with pytest.raises(ValueError, match=r"non-numeric values \(1j at row 0, column 1\)"):
        fit(np.array([[0, 1j], [1, 0], [0, 0], [1, 1]], dtype=object), Y)


def test_a_python_integer_beyond_float_range_is_named_not_an_overflow_error():
    huge = np.array(X.tolist(), dtype=object)
    huge[3, 0] = 10 ** 400
    with pytest.raises(ValueError, match=r"X has a value too large for float64 \(at row 3, column 0\)"):
        fit(huge, Y)


def named_frame(order=("a", "b", "c"), n=300):
    pandas = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    frame = pandas.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    return frame[list(order)], (frame["a"] + 0.2 * frame["b"] > 0).to_numpy()


def test_a_dataframe_with_its_columns_in_another_order_is_matched_by_name():
    frame, y = named_frame()
    model = MLP(3, [8, 1], seed=0)
    model.fit(frame, y, epochs=20, learning_rate=0.1, verbose=0)
    shuffled, _ = named_frame(order=("c", "a", "b"))
    np.testing.assert_array_equal(model.predict_proba(shuffled), model.predict_proba(frame))
    assert model.evaluate(shuffled, y)["accuracy"] == model.evaluate(frame, y)["accuracy"] > 0.9
    model.fit(shuffled, y, epochs=1, verbose=0)  # a second fit reads the columns by name too
    assert model.feature_names_ == ["a", "b", "c"]


def test_a_dataframe_with_other_columns_is_refused_by_name():
    frame, y = named_frame()
    model = MLP(3, [8, 1], seed=0)
    model.fit(frame, y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="missing 'c'; unexpected 'd'"):
        model.predict(frame.rename(columns={"c": "d"}))
    model.predict(frame.to_numpy())  # an array has no names: taken in the training order


# -- input people pass by mistake ---------------------------------------------------------------

def test_a_sparse_matrix_is_refused_with_the_way_out():
    sparse = pytest.importorskip("scipy.sparse")
    model = fitted_model()
    for matrix in (sparse.csr_matrix(X), sparse.csc_array(X)):
        with pytest.raises(TypeError, match=r"sparse input is not supported; use X.toarray\(\)"):
            model.predict(matrix)
        with pytest.raises(TypeError, match="sparse input is not supported"):
            fit(matrix, Y)
    np.testing.assert_array_equal(model.predict(sparse.csr_matrix(X).toarray()), model.predict(X))


@pytest.mark.parametrize("n_features, length, hint", [
    (2, 2, r"for a single sample use X.reshape\(1, -1\)"),
    (1, 5, r"use X.reshape\(-1, 1\) for a single feature"),
    (3, 5, r"use X.reshape\(-1, 1\) for a single feature, or X.reshape\(1, -1\) for a single sample"),
])
def test_a_1d_array_gets_the_reshape_that_fits_the_model(n_features, length, hint):
    model = MLP(n_features, [3, 1], seed=0)
    with pytest.raises(ValueError, match=f"X must be 2-D .* got a 1-D array of length {length}; {hint}"):
        model.predict(np.ones(length))
    assert model.predict(np.ones(n_features).reshape(1, -1)).shape == (1,)
