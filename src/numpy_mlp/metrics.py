"""Classification and regression metrics, computed from class indices, scores and values with NumPy alone.

Curves and areas follow scikit-learn's definitions (the tests compare against it): a sample is
predicted positive when its score is >= the threshold, and the thresholds are the distinct scores.
"""

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


def balanced_accuracy(matrix: np.ndarray) -> float:
    """The mean recall over the classes present, from a confusion matrix: accuracy that every
    class counts for equally, whatever its size (scikit-learn's balanced_accuracy_score)."""
    present = matrix.sum(axis=1) > 0
    return float(np.mean(np.diag(matrix)[present] / matrix.sum(axis=1)[present]))


def _counts_at_thresholds(true_binary, scores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(true positives, false positives, thresholds) at each distinct score, highest first:
    the counts of samples predicted positive when the threshold is that score."""
    true_binary = np.asarray(true_binary).astype(bool).ravel()
    scores = np.asarray(scores, dtype=np.float64).ravel()
    order = np.argsort(-scores, kind="mergesort")
    scores, true_binary = scores[order], true_binary[order]
    last_of_each_score = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    true_positives = np.cumsum(true_binary)[last_of_each_score]
    false_positives = last_of_each_score + 1 - true_positives
    return true_positives, false_positives, scores[last_of_each_score]


def roc_curve(true_binary, scores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(false positive rates, true positive rates, thresholds), from (0, 0) at threshold +inf to
    (1, 1): every distinct score (scikit-learn's roc_curve with drop_intermediate=False)."""
    true_positives, false_positives, thresholds = _counts_at_thresholds(true_binary, scores)
    if true_positives[-1] == 0 or false_positives[-1] == 0:
        raise ValueError("a ROC curve needs samples of both classes")
    return (np.r_[0.0, false_positives / false_positives[-1]], np.r_[0.0, true_positives / true_positives[-1]],
            np.r_[np.inf, thresholds])


def precision_recall_curve(true_binary, scores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(precision, recall, thresholds) as scikit-learn's precision_recall_curve gives them (1.4 and
    later): thresholds rising; the last point (precision 1, recall 0) has none."""
    true_positives, false_positives, thresholds = _counts_at_thresholds(true_binary, scores)
    if true_positives[-1] == 0:
        raise ValueError("a precision-recall curve needs positive samples")
    precision = true_positives / (true_positives + false_positives)
    recall = true_positives / true_positives[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thresholds[::-1]


def average_precision(true_binary, scores) -> float:
    """Area under the precision-recall curve as scikit-learn's average_precision_score computes it,
    step-wise: sum over thresholds of (R_k - R_(k-1)) P_k, no interpolation. NaN without positives."""
    if not np.asarray(true_binary).astype(bool).any():
        return float("nan")
    precision, recall, _ = precision_recall_curve(true_binary, scores)
    return float(-np.sum(np.diff(recall) * precision[:-1]))


#: what ``best_threshold`` can maximise, from the counts at each threshold:
#: (true positives, false positives, positives, negatives) -> metric
THRESHOLD_METRICS = {
    "f1": lambda tp, fp, p, n: _safe_divide(2 * tp, tp + fp + p),  # 2TP / (2TP + FP + FN)
    "balanced_accuracy": lambda tp, fp, p, n: (tp / p + (n - fp) / n) / 2,
}


def best_threshold(true_binary, scores, metric: str = "f1") -> float:
    """The decision threshold (positive when score >= threshold) that maximises ``metric`` on
    these samples: "f1" or "balanced_accuracy".

    Each distinct score is a candidate; the first best, from the highest, wins, and the threshold
    returned lies halfway between it and the next lower score, so that a new sample scored between
    the two falls on the nearer side. Needs samples of both classes.
    """
    true_positives, false_positives, thresholds = _counts_at_thresholds(true_binary, scores)
    positives, negatives = int(true_positives[-1]), int(false_positives[-1])
    if positives == 0 or negatives == 0:
        raise ValueError("choosing a threshold needs validation samples of both classes")
    values = THRESHOLD_METRICS[metric](true_positives, false_positives, positives, negatives)
    best = int(np.argmax(values))
    if best == len(thresholds) - 1:
        return float(thresholds[best])
    return float((thresholds[best] + thresholds[best + 1]) / 2)


def r2_score(true_values: np.ndarray, predictions: np.ndarray) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot per target column, averaged over the
    columns (scikit-learn's uniform average); a constant column scores 1 if predicted exactly, else 0."""
    true_values = np.asarray(true_values, dtype=np.float64).reshape(len(true_values), -1)
    errors = np.asarray(predictions, dtype=np.float64).reshape(true_values.shape) - true_values
    residual = np.square(errors).sum(axis=0)
    total = np.square(true_values - true_values.mean(axis=0)).sum(axis=0)
    constant = total == 0
    scores = np.where(constant, (residual == 0).astype(float), 1 - residual / np.where(constant, 1, total))
    return float(scores.mean())


#: rows per chunk when a whole data set goes through the network or the loss (bounds memory)
CHUNK_ROWS = 4096


def count_correct(loss_function, logits, targets, weights=None) -> float:
    """Samples classified right (for several sigmoid outputs, the mean over outputs); with
    ``weights`` (n,), the sum of the weights of those samples."""
    hits = loss_function.predicted_classes(logits) == targets
    if weights is None:
        return float(np.count_nonzero(hits)) / (hits.shape[1] if hits.ndim == 2 else 1)
    return float(hits.reshape(len(hits), -1).mean(axis=1) @ weights)


def loss_and_accuracy(loss_function, logits, targets, weights=None) -> tuple[float, float | None]:
    """Mean loss and accuracy (None for a regressor) of logits (n, k) against encoded targets,
    weighted means when ``weights`` (n,) are given.

    The loss is averaged chunk by chunk and the chunks' means combined as Python floats: one
    float32 sum over millions of values would lose digits that these shorter sums keep.
    """
    total_loss, total_weight = 0.0, 0
    for start in range(0, len(logits), CHUNK_ROWS):
        chunk = slice(start, start + CHUNK_ROWS)
        chunk_weights = None if weights is None else weights[chunk]
        size = len(logits[chunk]) if weights is None else float(chunk_weights.sum())
        total_loss += loss_function.forward(logits[chunk], targets[chunk], chunk_weights) * size
        total_weight += size
    total_weight = total_weight or 1  # all weights 0: a loss of 0
    if loss_function.output == "linear":
        return total_loss / total_weight, None
    return total_loss / total_weight, count_correct(loss_function, logits, targets, weights) / total_weight


def classification_report(loss_function, logits, targets, threshold: float | None = None) -> dict:
    """Loss, accuracy and the metrics that fit the output, from the logits (n, k) of a data set.

    One sigmoid output: precision, recall, F1 (of class 1), balanced accuracy, ROC AUC, average
    precision (PR AUC) and the confusion matrix. Softmax: macro-averaged precision/recall/F1,
    their per-class arrays, balanced accuracy and the confusion matrix. Several sigmoid outputs
    (multi-label): per-output metrics averaged over the outputs. ``threshold`` (sigmoid outputs):
    positive when the probability is >= it, instead of 0.5 (a logit >= 0).
    """
    loss, acc = loss_and_accuracy(loss_function, logits, targets)
    report = {"loss": loss, "accuracy": acc}
    probabilities = loss_function.outputs(logits)
    if loss_function.output == "softmax":
        matrix = confusion_matrix(targets, loss_function.predicted_classes(logits), logits.shape[1])
        precision, recall, f1 = precision_recall_f1(matrix)
        report.update(precision=float(precision.mean()), recall=float(recall.mean()), f1=float(f1.mean()),
                      balanced_accuracy=balanced_accuracy(matrix), precision_per_class=precision,
                      recall_per_class=recall, f1_per_class=f1, confusion_matrix=matrix)
        return report
    if threshold is None:
        predicted = loss_function.predicted_classes(logits)
    else:
        predicted = probabilities >= threshold
        report["accuracy"] = float(np.mean(predicted == targets))
    report.update(_per_output_report(targets, predicted, probabilities))
    return report


def _per_output_report(targets, predicted, probabilities) -> dict:
    """Binary metrics of each sigmoid output (n, k), averaged over the k outputs; the confusion
    matrix too when k is 1."""
    per_output = []
    for k in range(targets.shape[1]):
        matrix = confusion_matrix(targets[:, k], predicted[:, k], 2)
        precision, recall, f1 = precision_recall_f1(matrix)
        per_output.append((precision[1], recall[1], f1[1], balanced_accuracy(matrix),
                           roc_auc(targets[:, k], probabilities[:, k]),
                           average_precision(targets[:, k], probabilities[:, k])))
    names = ("precision", "recall", "f1", "balanced_accuracy", "roc_auc", "average_precision")
    report = {name: float(np.mean(column)) for name, column in zip(names, zip(*per_output))}
    if targets.shape[1] == 1:
        report["confusion_matrix"] = confusion_matrix(targets[:, 0], predicted[:, 0], 2)
    return report


def regression_report(loss_function, logits, scaled_targets, predictions, targets) -> dict:
    """The loss that training minimises (from the logits and the targets as the network sees
    them, standardised or not) and, in the targets' own units (``predictions`` against
    ``targets``, both (n, k)): MSE, RMSE, MAE and R^2 (each averaged over the k targets)."""
    loss, _ = loss_and_accuracy(loss_function, logits, scaled_targets)
    errors = predictions.astype(np.float64) - targets
    mse = float(np.mean(np.square(errors)))
    return {"loss": loss, "mse": mse, "rmse": float(np.sqrt(mse)), "mae": float(np.mean(np.abs(errors))),
            "r2": r2_score(targets, predictions)}
