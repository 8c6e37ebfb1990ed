"""Model files: one ``.npz`` of plain arrays plus JSON metadata, never pickle.

This module knows the file format and nothing of the model: ``MLP.save`` hands it arrays and
metadata, and ``numpy_mlp.load`` builds the model from what ``read_model_file`` returns, after
every field has been checked (``model_metadata.py``) against the arrays' shapes.

Layout: ``metadata`` (a JSON string: format name and version, the constructor's arguments,
the class labels, the feature names if known, the training features' range, epochs trained,
the random generator's state, the optimizer's name and hyperparameters),
``layers.<i>.weights`` / ``layers.<i>.bias``, ``scaler.mean`` / ``scaler.std`` when the model
standardises, and ``optimizer.<key>`` when asked for.

Reading a file someone else wrote: every member's .npy header is read and checked before its
data, and a member is read only if the model needs it, so memory stays in proportion to the
file (a header that claims more than MAX_EXPANSION times the member's stored bytes is refused
unread). Files are written to a temporary file beside the target and then renamed over it
(``files.atomic_write``), so a crash mid-write leaves the previous file as it was.
"""

from __future__ import annotations

import json
import math
import struct
import zipfile
import zlib

import numpy as np

from .files import atomic_write
from .model_metadata import ModelFileError, check_array_values, check_metadata

FORMAT = "numpy-mlp"
FORMAT_VERSION = 1
ZIP_MAGIC = b"PK\x03\x04"  # an .npz file is a zip archive
NPY_MAGIC = b"\x93NUMPY"  # a single array saved by numpy.save
#: the most bytes of data a member may hold per byte it takes in the archive (np.savez stores
#: arrays uncompressed, so ours hold 1; a compressed file of real weights reaches about 1.1)
MAX_EXPANSION = 16
#: the longest .npy header accepted (NumPy's own default limit)
MAX_HEADER_BYTES = 10_000
#: the longest JSON metadata accepted, in characters (a model of 100,000 named features fits)
MAX_METADATA_CHARS = 1 << 24
#: the members a model file may need; others (from a newer writer, say) are never read
ARRAY_PREFIXES = ("layers.", "scaler.", "target_scaler.", "optimizer.")

__all__ = ["FORMAT", "FORMAT_VERSION", "ModelFileError", "read_model_file", "write_model_file"]


def write_model_file(path, arrays: dict[str, np.ndarray], metadata: dict) -> None:
    """Write ``arrays`` and the JSON ``metadata`` (format and version added) to an .npz file, atomically."""
    text = json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION, **metadata})
    atomic_write(path, lambda file: np.savez(file, **arrays, metadata=np.array(text)))


def read_model_file(path) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays and the metadata of a model file, checked to be ours, readable and consistent.

    Raises FileNotFoundError for a missing file and ModelFileError for anything else wrong:
    corrupt, truncated, foreign, too new, hostile (lying headers, pickles, bombs) or inconsistent.
    """
    with open(path, "rb") as file:  # FileNotFoundError and the like pass through as they are
        magic = file.read(len(NPY_MAGIC))
    if not magic.startswith(ZIP_MAGIC):
        kind = "a single NumPy array (.npy)" if magic == NPY_MAGIC else "not an .npz archive"
        raise ModelFileError(f"{path} is not a numpy-mlp model file: it is {kind}")
    try:
        with zipfile.ZipFile(path) as archive:
            # Only the metadata and the arrays a model uses are looked at, let alone read.
            members = {name.removesuffix(".npy"): Member(path, archive, name) for name in archive.namelist()
                       if name == "metadata.npy" or name.startswith(ARRAY_PREFIXES)}
            metadata = _read_metadata(path, members)
            needed = [name for name in members if name != "metadata"]
            check_metadata(path, metadata, {name: (members[name].shape, members[name].dtype) for name in needed})
            arrays = {name: members[name].read() for name in needed}
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, struct.error, NotImplementedError,
            RuntimeError) as error:  # every way zipfile fails on bytes that are not a whole archive
        raise ModelFileError(f"{path} is not a readable numpy-mlp model file (corrupt or truncated?): "
                             f"{error}") from None
    check_array_values(path, arrays)
    return arrays, metadata


class Member:
    """One array of the archive: its .npy header, read and checked at once; its data, on request."""

    def __init__(self, path, archive: zipfile.ZipFile, name: str):
        self.path, self.archive, self.info = path, archive, archive.getinfo(name)
        self.name = name.removesuffix(".npy")
        with archive.open(name) as stream:
            self.dtype, self.shape, self.fortran_order = self._read_header(stream)
            self.header_bytes = stream.tell()
        self.nbytes = math.prod(self.shape) * self.dtype.itemsize
        claim = f"its header claims {self.shape} {self.dtype} values ({self.nbytes:,} bytes)"
        if self.nbytes > MAX_EXPANSION * self.info.compress_size + 4096:
            raise ModelFileError(f"{path}: entry {self.name!r} is refused unread: {claim} from "
                                 f"{self.info.compress_size:,} stored bytes")
        if self.header_bytes + self.nbytes != self.info.file_size:
            raise ModelFileError(f"{path}: entry {self.name!r} is truncated or padded: {claim}, "
                                 f"but it holds {self.info.file_size - self.header_bytes:,} bytes of data")

    def _read_header(self, stream) -> tuple[np.dtype, tuple[int, ...], bool]:
        """(dtype, shape, fortran_order) from the .npy header at the start of ``stream``."""
        where = f"{self.path}: entry {self.name!r}"
        try:
            version = np.lib.format.read_magic(stream)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, fortran_order, dtype = read_header(stream, max_header_size=MAX_HEADER_BYTES)
        except ValueError:  # NumPy's message would suggest allow_pickle=True: never for a file like this
            raise ModelFileError(f"{where} is not a readable .npy array: its header is malformed or longer "
                                 f"than {MAX_HEADER_BYTES:,} bytes") from None
        if dtype.hasobject:
            raise ModelFileError(f"{where} holds a pickled Python object, which numpy-mlp refuses to "
                                 "load (unpickling can run code); not a numpy-mlp model file")
        return dtype, shape, fortran_order

    def read(self) -> np.ndarray:
        """The member's data, in the native byte order; exactly the bytes its header promised."""
        array = np.empty(self.shape, self.dtype, order="F" if self.fortran_order else "C")
        with self.archive.open(self.info) as stream:
            stream.seek(self.header_bytes)
            view = memoryview(array.reshape(-1, order="A").view(np.uint8))
            done = 0
            while done < self.nbytes:
                count = stream.readinto(view[done:done + (1 << 20)])
                if not count:
                    raise ModelFileError(f"{self.path}: entry {self.name!r} is truncated")
                done += count
        return array.astype(array.dtype.newbyteorder("="), copy=False)


def _read_metadata(path, members: dict[str, Member]) -> dict:
    """The JSON metadata of a model file, checked for our format and a version we can read."""
    member = members.get("metadata")
    if member is None or member.dtype.kind != "U" or member.shape != ():
        raise ModelFileError(f"{path} is an .npz file without numpy-mlp metadata, not a numpy-mlp model")
    if member.dtype.itemsize // 4 > MAX_METADATA_CHARS:
        raise ModelFileError(f"{path} has metadata of {member.dtype.itemsize // 4:,} characters, more than "
                             f"the {MAX_METADATA_CHARS:,} a numpy-mlp model file may hold")
    try:
        metadata = json.loads(str(member.read()))
    except (ValueError, RecursionError) as error:
        raise ModelFileError(f"{path} has unreadable metadata (not JSON: {error!s:.200})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ModelFileError(f"{path} is an .npz file but not a numpy-mlp model")
    version = metadata.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ModelFileError(f"{path} has an invalid format version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path} has format version {version}; this numpy-mlp reads up to "
                             f"{FORMAT_VERSION}: upgrade numpy-mlp to load it")
    _rename_old_options(metadata)
    return metadata


#: hyperparameters that older files name differently (numpy-mlp 0.1's Adam): old name -> name now
RENAMED_OPTIONS = {"b1": "beta1", "b2": "beta2"}


def _rename_old_options(metadata: dict) -> None:
    optimizer = metadata.get("optimizer")
    if isinstance(optimizer, dict) and isinstance(optimizer.get("config"), dict):
        config = optimizer["config"]
        for old, new in RENAMED_OPTIONS.items():
            if old in config:
                config[new] = config.pop(old)
