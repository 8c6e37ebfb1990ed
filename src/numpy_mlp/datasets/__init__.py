"""Datasets: CSV files, IDX files and MNIST, small synthetic sets made with NumPy, breast cancer."""

from .csv import CSVError, read_csv, read_features_csv, write_csv
from .breast_cancer import load_breast_cancer
from ..splits import train_test_split
from .synthetic import make_circles, make_moons, make_xor
from .download import ChecksumError, DownloadError, download_file, sha256_file
from .idx import IDXError, read_idx
from .mnist import fetch_mnist, load_mnist

__all__ = [
    "CSVError", "read_csv", "read_features_csv", "write_csv",
    "load_breast_cancer", "make_circles", "make_moons", "make_xor", "train_test_split",
    "ChecksumError", "DownloadError", "download_file", "sha256_file",
    "IDXError", "read_idx", "fetch_mnist", "load_mnist",
]
