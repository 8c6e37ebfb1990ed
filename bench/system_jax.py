"""JAX on the CPU, float32, with Adam written inline (no optax).

``jax-jit``:  one jitted training step per batch, called from a Python loop;
``jax-scan``: the whole epoch as one compiled program, the full batches under ``jax.lax.scan``
              and the short last batch after it.
Both gather the batch inside the compiled code from the whole dataset kept on the device, and
donate the parameters and optimizer state so XLA updates them in place.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from workloads import he_normal_parameters

BETA1, BETA2, EPSILON = 0.9, 0.999, 1e-8


def not_applicable(system, workload):
    return None


def logits(parameters, x):
    for weights, bias in parameters[:-1]:
        x = jax.nn.relu(x @ weights + bias)
    weights, bias = parameters[-1]
    return x @ weights + bias


def make_loss(output):
    if output == "softmax":
        def loss(parameters, x, y):
            log_probabilities = jax.nn.log_softmax(logits(parameters, x))
            return -jnp.mean(jnp.take_along_axis(log_probabilities, y[:, None], axis=1))
    else:
        def loss(parameters, x, y):
            z = logits(parameters, x)
            return jnp.mean(jnp.maximum(z, 0) - z * y + jnp.log1p(jnp.exp(-jnp.abs(z))))
    return loss


def make_step(workload):
    """step((parameters, state), X, Y, batch_indices) -> ((parameters, state), loss), for jit or scan."""
    loss_and_gradients = jax.value_and_grad(make_loss(workload.output))
    learning_rate = workload.learning_rate
    tree_map = jax.tree_util.tree_map

    def sgd(parameters, gradients, state):
        return tree_map(lambda p, g: p - learning_rate * g, parameters, gradients), state

    def adam(parameters, gradients, state):
        t, m, v = state
        t = t + 1
        m = tree_map(lambda m, g: BETA1 * m + (1 - BETA1) * g, m, gradients)
        v = tree_map(lambda v, g: BETA2 * v + (1 - BETA2) * g * g, v, gradients)
        m_correction, v_correction = 1 / (1 - BETA1 ** t), 1 / (1 - BETA2 ** t)
        parameters = tree_map(lambda p, m, v: p - learning_rate * (m * m_correction)
                              / (jnp.sqrt(v * v_correction) + EPSILON), parameters, m, v)
        return parameters, (t, m, v)

    update = adam if workload.optimizer == "adam" else sgd

    def step(carry, X, Y, batch):
        parameters, state = carry
        x, y = jnp.take(X, batch, axis=0), jnp.take(Y, batch, axis=0)
        loss, gradients = loss_and_gradients(parameters, x, y)
        return update(parameters, gradients, state), loss

    return step


class Runner:
    def __init__(self, system, workload, X, y, seed, threads):
        self.system, self.workload = system, workload
        self.label = "jax (jit step)" if system == "jax-jit" else "jax (lax.scan epoch)"
        self.note = None
        self.n_samples = len(X)
        self.X = jnp.asarray(X)
        self.Y = jnp.asarray(y.astype(np.int32) if workload.output == "softmax"
                             else y.astype(np.float32).reshape(-1, 1))
        parameters = [(jnp.asarray(weights), jnp.asarray(bias))
                      for weights, bias in he_normal_parameters(workload, seed)]
        if workload.optimizer == "adam":
            zeros = jax.tree_util.tree_map(jnp.zeros_like, parameters)
            state = (jnp.zeros((), jnp.float32), zeros, jax.tree_util.tree_map(jnp.zeros_like, parameters))
        else:
            state = ()
        self.carry = (parameters, state)
        self.rng = np.random.default_rng(seed)
        step = make_step(workload)
        self.step = jax.jit(step, donate_argnums=(0,))
        self.loss_function = jax.jit(make_loss(workload.output))

        def epoch(carry, X, Y, full_batches, last_batch):
            carry, losses = jax.lax.scan(lambda c, batch: step(c, X, Y, batch), carry, full_batches)
            if last_batch.shape[0]:
                carry, _ = step(carry, X, Y, last_batch)
            return carry, losses

        self.epoch = jax.jit(epoch, donate_argnums=(0,))

    def epoch_batches(self, order):
        """The shuffled indices as (full batches, last short batch), int32."""
        batch_size = self.workload.batch_size
        n_full = len(order) // batch_size
        full = order[:n_full * batch_size].reshape(n_full, batch_size)
        return jnp.asarray(full, jnp.int32), jnp.asarray(order[n_full * batch_size:], jnp.int32)

    def train_with_steps(self, order):
        batch_size = self.workload.batch_size
        order = order.astype(np.int32)
        losses = []
        for start in range(0, len(order), batch_size):
            self.carry, loss = self.step(self.carry, self.X, self.Y, order[start:start + batch_size])
            losses.append(loss)
        jax.block_until_ready(self.carry)
        return losses

    def warm_up(self):
        if self.system == "jax-jit":
            # Compiles the step for the full batch and for the last batch's shape.
            last = self.n_samples % self.workload.batch_size or self.workload.batch_size
            self.train_with_steps(np.arange(2 * self.workload.batch_size + last))
        else:
            # Compiling ahead of time for the epoch's shapes: the timed call runs the program only.
            self.epoch = self.epoch.lower(self.carry, self.X, self.Y,
                                          *self.epoch_batches(np.arange(self.n_samples))).compile()

    def train_epoch(self):
        order = self.rng.permutation(self.n_samples)
        if self.system == "jax-jit":
            self.train_with_steps(order)
        else:
            self.carry, _ = self.epoch(self.carry, self.X, self.Y, *self.epoch_batches(order))
            jax.block_until_ready(self.carry)

    def loss(self, X, y) -> float:
        targets = y.astype(np.int32) if self.workload.output == "softmax" else y.astype(np.float32).reshape(-1, 1)
        return float(self.loss_function(self.carry[0], jnp.asarray(X), jnp.asarray(targets)))

    def parameter_dtype(self) -> str:
        return str(self.carry[0][0][0].dtype)

    def threads(self):
        return {"jax devices": [str(device) for device in jax.devices()]}

    def versions(self):
        return {"jax": jax.__version__}
