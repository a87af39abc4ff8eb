"""Where model files live: a local directory or a remote URI (s3://, gs://, hdfs://, ...).

Everything goes through one pyarrow.fs.FileSystem, so loaders never care where a model is.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.fs as pafs

from servelib.errors import ModelLoadError


@dataclass(frozen=True)
class ModelFS:
    """A filesystem and a root path inside it."""

    fs: pafs.FileSystem
    uri: str  # as the user gave it, for messages

    @classmethod
    def open(cls, path_or_uri: str | os.PathLike) -> tuple[ModelFS, str]:
        text = os.fspath(path_or_uri)
        if "://" not in text:
            return cls(pafs.LocalFileSystem(), text), os.path.abspath(text)
        try:
            fs, path = pafs.FileSystem.from_uri(text)
        except (pa.ArrowException, ValueError, OSError) as exc:
            raise ModelLoadError(f"cannot open model URI: {exc}", text) from exc
        return cls(fs, text), path.rstrip("/") or "/"

    def join(self, *parts: str) -> str:
        return posixpath.join(*parts)

    def is_dir(self, path: str) -> bool:
        return self.fs.get_file_info(path).type == pafs.FileType.Directory

    def list(self, path: str) -> list[str]:
        """Names in a directory (no hidden files such as Spark's .crc checksums)."""
        try:
            infos = self.fs.get_file_info(pafs.FileSelector(path, recursive=False))
        except (FileNotFoundError, OSError) as exc:
            raise ModelLoadError("cannot list directory", path) from exc
        return sorted(
            posixpath.basename(i.path)
            for i in infos
            if not posixpath.basename(i.path).startswith((".", "_"))
        )

    def read_text(self, path: str) -> str:
        try:
            with self.fs.open_input_stream(path) as f:
                return f.read().decode("utf-8")
        except (FileNotFoundError, OSError) as exc:
            raise ModelLoadError("cannot read file", path) from exc
