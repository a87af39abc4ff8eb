"""Where model files live: a local directory or a remote URI (s3://, gs://, hdfs://, ...).

Everything goes through one pyarrow.fs.FileSystem, so loaders never care where a model is.
Every filesystem call that can fail maps to ModelLoadError naming the path, and every read is
bounded by ``LoadLimits.max_file_bytes`` before it starts.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.fs as pafs

from servelib.errors import ModelLoadError
from servelib.loaders.limits import DEFAULT_LIMITS, LoadLimits

_CHUNK = 1 << 20
_MAX_PATH = 4096  # Linux PATH_MAX; longer paths fail in the kernel anyway


@dataclass(frozen=True)
class ModelFS:
    """A filesystem and a root path inside it, and the limits of the load reading it."""

    fs: pafs.FileSystem
    uri: str  # as the user gave it, for messages
    limits: LoadLimits = field(default=DEFAULT_LIMITS)

    @classmethod
    def open(cls, path_or_uri: str | os.PathLike[str],
             limits: LoadLimits = DEFAULT_LIMITS) -> tuple[ModelFS, str]:
        if not isinstance(path_or_uri, (str, os.PathLike)):
            raise TypeError("servelib.load expects a path (str or os.PathLike) or a URI, "
                            f"got {type(path_or_uri).__name__}")
        text = os.fspath(path_or_uri)
        if not isinstance(text, str):
            raise TypeError(f"servelib.load expects a str path, got {type(text).__name__}")
        shown = _short(text)
        if not text or "\0" in text:
            raise ModelLoadError("not a valid model path (empty or holding a NUL byte)",
                                 repr(shown))
        if len(text) > _MAX_PATH:
            raise ModelLoadError(f"model path longer than {_MAX_PATH} characters", shown)
        if "://" not in text:
            mfs, root = cls(pafs.LocalFileSystem(), text, limits), os.path.abspath(text)
        else:
            try:
                fs, path = pafs.FileSystem.from_uri(text)
            except (pa.ArrowException, ValueError, OSError) as exc:
                raise ModelLoadError(f"cannot open model URI: {exc}", shown) from exc
            mfs, root = cls(fs, text, limits), path.rstrip("/") or "/"
        if mfs.info(root).type == pafs.FileType.NotFound:
            raise ModelLoadError("model path does not exist", shown)
        return mfs, root

    def join(self, *parts: str) -> str:
        return posixpath.join(*parts)

    def info(self, path: str) -> pafs.FileInfo:
        try:
            return self.fs.get_file_info(path)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise ModelLoadError(f"cannot stat: {_reason(exc)}", _short(path)) from exc

    def is_dir(self, path: str) -> bool:
        return self.info(path).type == pafs.FileType.Directory

    def list(self, path: str) -> list[str]:
        """Names in a directory (no hidden files such as Spark's .crc checksums)."""
        try:
            infos = self.fs.get_file_info(pafs.FileSelector(path, recursive=False))
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise ModelLoadError(f"cannot list directory: {_reason(exc)}", _short(path)) from exc
        return sorted(
            posixpath.basename(i.path)
            for i in infos
            if not posixpath.basename(i.path).startswith((".", "_"))
        )

    def check_size(self, path: str) -> None:
        size = self.info(path).size
        if size is not None and size > self.limits.max_file_bytes:
            raise ModelLoadError(f"file of {size} bytes exceeds LoadLimits.max_file_bytes "
                                 f"({self.limits.max_file_bytes})", path)

    def read_bytes(self, path: str) -> bytes:
        self.check_size(path)
        chunks, total = [], 0
        try:
            with self.fs.open_input_stream(path) as f:
                # in chunks: read(n) allocates n bytes up front, and a stream (a remote file
                # that grew since it was listed) may hold more than its listed size
                while chunk := f.read(_CHUNK):
                    chunks.append(chunk)
                    total += len(chunk)
                    if total > self.limits.max_file_bytes:
                        raise ModelLoadError("file exceeds LoadLimits.max_file_bytes "
                                             f"({self.limits.max_file_bytes})", path)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise ModelLoadError(f"cannot read file: {_reason(exc)}", _short(path)) from exc
        return b"".join(chunks)

    def read_text(self, path: str) -> str:
        data = self.read_bytes(path)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ModelLoadError(f"file is not UTF-8 text: {exc}", path) from exc


def _short(path: str) -> str:
    return path if len(path) <= 300 else path[:300] + f"... ({len(path)} chars)"


def _reason(exc: Exception) -> str:
    """An OS error's reason without the path it repeats (the error names the path itself)."""
    errno = getattr(exc, "errno", None)
    return os.strerror(errno) if isinstance(errno, int) else _short(str(exc))
