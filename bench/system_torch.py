"""PyTorch eager: an ``nn.Sequential`` and a plain loop over shuffled indices (no DataLoader).

``torch``: the default optimizer implementation; ``torch-fused``: ``torch.optim.Adam(fused=True)``,
for the Adam workload only. The weights start from numpy-mlp's He-normal draws for the seed.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from workloads import he_normal_parameters


def not_applicable(system, workload):
    if system == "torch-fused" and workload.optimizer != "adam":
        return "the fused variant is measured on the Adam workload only"
    return None


class Runner:
    def __init__(self, system, workload, X, y, seed, threads):
        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        self.workload = workload
        sizes = workload.layer_sizes
        modules = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            modules += [nn.Linear(n_in, n_out), nn.ReLU()]
        self.model = nn.Sequential(*modules[:-1])  # logits out: the loss applies the output activation
        with torch.no_grad():  # numpy-mlp's initial weights; nn.Linear keeps W as (n_out, n_in)
            linears = [module for module in self.model if isinstance(module, nn.Linear)]
            for linear, (weights, bias) in zip(linears, he_normal_parameters(workload, seed)):
                linear.weight.copy_(torch.from_numpy(weights.T))
                linear.bias.copy_(torch.from_numpy(bias))
        self.X = torch.from_numpy(X)
        if workload.output == "softmax":
            self.y = torch.from_numpy(y)
            self.loss_function = nn.CrossEntropyLoss()
        else:
            self.y = torch.from_numpy(y.astype(np.float32).reshape(-1, 1))
            self.loss_function = nn.BCEWithLogitsLoss()
        parameters = self.model.parameters()
        if workload.optimizer == "adam":
            fused = system == "torch-fused"
            self.optimizer = torch.optim.Adam(parameters, lr=workload.learning_rate, fused=fused)
            self.label = "torch-fused (Adam fused=True)" if fused else "torch (eager)"
        else:
            self.optimizer = torch.optim.SGD(parameters, lr=workload.learning_rate)
            self.label = "torch (eager)"
        self.note = None
        self.generator = torch.Generator().manual_seed(seed)

    def train(self, order):
        total_loss = 0.0
        batch_size = self.workload.batch_size
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            x, y = self.X.index_select(0, batch), self.y.index_select(0, batch)
            loss = self.loss_function(self.model(x), y)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            total_loss += loss.item() * len(batch)
        return total_loss / len(order)

    def warm_up(self):
        size = 2 * self.workload.batch_size + self.workload.batch_size // 2
        self.train(torch.arange(size))

    def train_epoch(self):
        self.train(torch.randperm(len(self.X), generator=self.generator))

    def loss(self, X, y) -> float:
        with torch.no_grad():
            logits = self.model(torch.from_numpy(X))
            if self.workload.output == "softmax":
                return float(self.loss_function(logits, torch.from_numpy(y)))
            return float(self.loss_function(logits, torch.from_numpy(y.astype(np.float32).reshape(-1, 1))))

    def parameter_dtype(self) -> str:
        return str(next(self.model.parameters()).dtype).replace("torch.", "")

    def threads(self):
        return {"torch intra-op": torch.get_num_threads(), "torch inter-op": torch.get_num_interop_threads()}

    def versions(self):
        return {"torch": torch.__version__}
