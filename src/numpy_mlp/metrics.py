"""Classification metrics, computed from class indices and probabilities with NumPy alone."""

from __future__ import annotations

import numpy as np


def confusion_matrix(true_indices, predicted_indices, n_classes: int) -> np.ndarray:
    """C[i, j] = number of samples of true class i predicted as class j, shape (K, K)."""
    true_indices = np.asarray(true_indices, dtype=np.intp)
    predicted_indices = np.asarray(predicted_indices, dtype=np.intp)
    return np.bincount(true_indices * n_classes + predicted_indices,
                       minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def _safe_divide(numerator, denominator):
    """numerator / denominator, with 0 where the denominator is 0 (scikit-learn's zero_division=0)."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator != 0)


def precision_recall_f1(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class precision TP/(TP+FP), recall TP/(TP+FN) and F1 = 2PR/(P+R) from a confusion matrix."""
    true_positives = np.diag(matrix)
    precision = _safe_divide(true_positives, matrix.sum(axis=0))
    recall = _safe_divide(true_positives, matrix.sum(axis=1))
    f1 = _safe_divide(2 * precision * recall, precision + recall)
    return precision, recall, f1


def roc_auc(true_binary, scores) -> float:
    """Area under the ROC curve: the probability that a random positive outscores a random negative.

    Computed as the Mann-Whitney U statistic from average ranks (ties count one half).
    NaN when only one class is present.
    """
    true_binary = np.asarray(true_binary).astype(bool).ravel()
    scores = np.asarray(scores, dtype=np.float64).ravel()
    n_positive = int(true_binary.sum())
    n_negative = len(true_binary) - n_positive
    if n_positive == 0 or n_negative == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    # Average rank (1-based) of each run of tied scores.
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ends = np.r_[starts[1:], len(scores)]
    ranks = np.empty(len(scores))
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    u_statistic = ranks[true_binary].sum() - n_positive * (n_positive + 1) / 2.0
    return float(u_statistic / (n_positive * n_negative))


def accuracy(true_labels, predicted_labels) -> float:
    """Fraction of samples whose predicted label equals the true one."""
    return float(np.mean(np.asarray(true_labels) == np.asarray(predicted_labels)))


#: rows per chunk when a whole data set goes through the network or the loss (bounds memory)
CHUNK_ROWS = 4096


def count_correct(loss_function, logits, targets) -> float:
    """Samples classified right (for several sigmoid outputs, the mean over outputs)."""
    hits = loss_function.predicted_classes(logits) == targets
    return float(np.count_nonzero(hits)) / (hits.shape[1] if hits.ndim == 2 else 1)


def loss_and_accuracy(loss_function, logits, targets) -> tuple[float, float]:
    """Mean loss and accuracy of logits (n, k) against encoded targets.

    The loss is averaged chunk by chunk and the chunks' means combined as Python floats: one
    float32 sum over millions of values would lose digits that these shorter sums keep.
    """
    total_loss = 0.0
    for start in range(0, len(logits), CHUNK_ROWS):
        chunk = slice(start, start + CHUNK_ROWS)
        total_loss += loss_function.forward(logits[chunk], targets[chunk]) * len(logits[chunk])
    return total_loss / len(logits), count_correct(loss_function, logits, targets) / len(logits)


def classification_report(loss_function, logits, targets) -> dict:
    """Loss, accuracy and the metrics that fit the output, from the logits (n, k) of a data set.

    One sigmoid output: precision, recall, F1 (of class 1) and ROC AUC, and the confusion matrix.
    Softmax: macro-averaged precision/recall/F1, their per-class arrays and the confusion matrix.
    Several sigmoid outputs (multi-label): per-output metrics averaged over the outputs.
    """
    loss, acc = loss_and_accuracy(loss_function, logits, targets)
    report = {"loss": loss, "accuracy": acc}
    probabilities = loss_function.probabilities(logits)
    predicted = loss_function.predicted_classes(logits)
    n_outputs = logits.shape[1]
    if loss_function.output == "softmax":
        matrix = confusion_matrix(targets, predicted, n_outputs)
        precision, recall, f1 = precision_recall_f1(matrix)
        report.update(precision=float(precision.mean()), recall=float(recall.mean()), f1=float(f1.mean()),
                      precision_per_class=precision, recall_per_class=recall, f1_per_class=f1,
                      confusion_matrix=matrix)
        return report
    per_output = []
    for k in range(n_outputs):
        matrix = confusion_matrix(targets[:, k], predicted[:, k], 2)
        precision, recall, f1 = precision_recall_f1(matrix)
        per_output.append((precision[1], recall[1], f1[1], roc_auc(targets[:, k], probabilities[:, k])))
    precision, recall, f1, auc = (float(np.mean(column)) for column in zip(*per_output))
    report.update(precision=precision, recall=recall, f1=f1, roc_auc=auc)
    if n_outputs == 1:
        report["confusion_matrix"] = confusion_matrix(targets[:, 0], predicted[:, 0], 2)
    return report
