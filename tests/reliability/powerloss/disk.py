"""What a disk can hold after a power loss, rebuilt from a snapshot and the shim's log.

The model, chosen to be exactly as hostile as SQLite says a disk may be and no more
(https://www.sqlite.org/atomiccommit.html, "Hardware Assumptions", and
https://www.sqlite.org/psow.html):

* **A sync is a barrier that holds.** Every write and truncation of a file made before an
  ``fsync``/``fdatasync`` of that file (through any descriptor of the same inode) returned
  is on disk, in its final order. SQLite assumes fsync works as documented; a disk that
  lies about it is out of scope.
* **Unsynced writes may be lost, reordered or torn.** Writes to a file after its last sync
  are replayed in a random subset: each is kept whole, dropped, or torn. A torn write is
  cut at 512-byte sector boundaries; each of its sectors is kept, dropped, or itself half
  written — new bytes from the start of the sector's part up to some byte, or from some
  byte to its end (SQLite assumes a sector is not written atomically, but linearly).
  Choosing a subset and replaying it in order gives each sector any one of the versions
  it had since the last sync (dropping the newer one shows an older one): the page cache
  writes back the newest content of a page, so an older version of a sector never lands
  over a newer one, and the model does not do that either.
* **Powersafe overwrite** (SQLite's default, ``SQLITE_POWERSAFE_OVERWRITE=1``): a write
  changes no byte outside its own range, even in a sector it shares with other data. The
  model never touches a byte no write covered.
* **Files grow with garbage.** When an unsynced write that would have grown the file is
  dropped, the file may still have grown (its size reached the disk, its data did not):
  the new space then holds random bytes.
* **Unsynced truncations** happen or not, each independently.
* **Names.** Creating, deleting and renaming files are metadata, journaled in order by
  the filesystem: what survives is a prefix of those operations, at least up to the last
  ``fsync`` of the directory (SQLite syncs the directory after creating a WAL or a
  journal). Deleting a file is atomic.
* **The ``-shm`` wal-index is not in the image.** It is a cache of the WAL that SQLite
  rebuilds (truncating the file) when the first connection opens the database after
  every connection was closed, as after a reboot; its content on disk never matters.

Three kinds of images: ``synced`` (only what was synced: every unsynced operation lost —
the image a pessimist expects, and the one that must lose the acknowledged commands of a
desk running with ``synchronous=OFF``), ``everything`` (every operation landed: what the
files held when the process died, which the harness compares with the real files to
check the recorder missed nothing) and ``random`` (a random subset as above, with a
survival rate drawn for each image so that some images keep most of the tail and some
almost none).
"""

from __future__ import annotations

import os
import random
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

SECTOR = 512
HEADER = struct.Struct("<cBHIQqQ")
"""A log record's header (see shim.c): op, flags, pad, path length, ino, offset, length."""
CREATED, DIRECTORY = 1, 2
Mode = Literal["synced", "everything", "random"]


@dataclass(frozen=True)
class Record:
    """One operation the shim saw, in the order the process made them."""

    op: str
    """``O`` open, ``W`` write, ``T`` truncate, ``S`` sync, ``U`` unlink, ``R`` rename."""
    flags: int
    ino: int
    offset: int
    length: int
    path: str
    data: bytes = b""


def read_log(path: Path) -> list[Record]:
    """The records of a shim log (a record cut short by the kill is no record)."""
    raw = path.read_bytes() if path.exists() else b""
    records, at = [], 0
    while at + HEADER.size <= len(raw):
        op, flags, _, pathlen, ino, offset, length = HEADER.unpack_from(raw, at)
        body = at + HEADER.size
        datalen = length if op == b"W" else 0
        end = body + pathlen + datalen
        if end > len(raw):
            break
        name = raw[body:body + pathlen].decode("utf-8", "surrogateescape")
        records.append(Record(op.decode(), flags, ino, offset, length, name,
                              raw[body + pathlen:end]))
        at = end
    return records


def snapshot(directory: Path) -> dict[str, tuple[int, bytes]]:
    """Every regular file of ``directory``: name -> (inode, content), made durable first."""
    files = {}
    for path in sorted(directory.iterdir()):
        if path.is_file():
            with path.open("rb+") as handle:
                os.fsync(handle.fileno())
                files[path.name] = (os.fstat(handle.fileno()).st_ino, handle.read())
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return files


@dataclass
class FileHistory:
    """One inode: its durable starting content and what was done to it, in order."""

    base: bytes
    ops: list[Record] = field(default_factory=list)
    synced: int = 0
    """How many of ``ops`` were made before the file's last sync."""
    cache: bool = False
    """A ``-shm`` wal-index, never part of an image."""


@dataclass(frozen=True)
class NameOp:
    kind: Literal["create", "unlink", "rename"]
    name: str
    target: str | int  # the inode's index for create, the new name for rename, "" else


class Trace:
    """A snapshot of the watched directory and the log of what a process did to it."""

    def __init__(self, directory: Path, start: dict[str, tuple[int, bytes]],
                 records: list[Record]) -> None:
        self.directory = str(directory).rstrip("/")
        self.files: list[FileHistory] = []
        self.names: dict[str, int] = {}
        by_ino: dict[int, int] = {}
        for name, (ino, content) in start.items():
            self.names[name] = by_ino[ino] = self._new(content, cache=name.endswith("-shm"))
        self.name_ops: list[NameOp] = []
        self.names_synced = 0
        """How many of ``name_ops`` came before the directory's last sync."""
        self.records = len(records)
        self.syncs = 0
        live = dict(self.names)
        for record in records:
            name = self._name(record.path) if record.op in "OU" else ""
            if record.op == "O":
                if record.flags & DIRECTORY:
                    continue
                if record.flags & CREATED:
                    index = self._new(b"", cache=name.endswith("-shm"))
                    self.name_ops.append(NameOp("create", name, index))
                    live[name] = by_ino[record.ino] = index
                else:
                    by_ino[record.ino] = live[name]
            elif record.op in "WT":
                self.files[by_ino[record.ino]].ops.append(record)
            elif record.op == "S":
                self.syncs += 1
                if record.flags & DIRECTORY:
                    self.names_synced = len(self.name_ops)
                else:
                    history = self.files[by_ino[record.ino]]
                    history.synced = len(history.ops)
            elif record.op == "U":
                self.name_ops.append(NameOp("unlink", name, ""))
                live.pop(name, None)
            elif record.op == "R":
                old, new = (self._name(part) for part in record.path.split("\0"))
                self.name_ops.append(NameOp("rename", old, new))
                live[new] = live.pop(old)

    def _new(self, content: bytes, *, cache: bool = False) -> int:
        self.files.append(FileHistory(content, cache=cache))
        return len(self.files) - 1

    def _name(self, path: str) -> str:
        if path == self.directory:
            return ""
        if not path.startswith(self.directory + "/"):
            raise ValueError(f"{path} is outside {self.directory}")
        return path[len(self.directory) + 1:]

    def unsynced(self) -> int:
        """Writes and truncations of database files (not ``-shm``) a power loss may lose."""
        return sum(len(f.ops) - f.synced for f in self.files if not f.cache)

    def image(self, mode: Mode, rng: random.Random | None = None) -> dict[str, bytes]:
        """File name -> content after a power loss at the end of the log."""
        rng = rng or random.Random(0)
        keep = rng.random()  # this image's survival rate for unsynced operations
        total = len(self.name_ops)
        names_kept = {"synced": self.names_synced, "everything": total,
                      "random": rng.randint(self.names_synced, total)}[mode]
        names = dict(self.names)
        for op in self.name_ops[:names_kept]:
            if op.kind == "create":
                assert isinstance(op.target, int)
                names[op.name] = op.target
            elif op.kind == "unlink":
                names.pop(op.name, None)
            else:
                assert isinstance(op.target, str)
                names[op.target] = names.pop(op.name)
        return {name: self._content(self.files[index], mode, keep, rng)
                for name, index in sorted(names.items()) if not name.endswith("-shm")}

    def _content(self, history: FileHistory, mode: Mode, keep: float,
                 rng: random.Random) -> bytes:
        disk = bytearray(history.base)
        for number, op in enumerate(history.ops):
            if number < history.synced or mode == "everything":
                _apply(disk, op, op.offset, op.data)
            elif mode == "random":
                _maybe(disk, op, keep, rng)
        return bytes(disk)


def _apply(disk: bytearray, op: Record, offset: int, data: bytes) -> None:
    if op.op == "T":
        if op.offset < len(disk):
            del disk[op.offset:]
        else:
            disk.extend(bytes(op.offset - len(disk)))
        return
    if offset > len(disk):
        disk.extend(bytes(offset - len(disk)))
    disk[offset:offset + len(data)] = data


def _maybe(disk: bytearray, op: Record, keep: float, rng: random.Random) -> None:
    """Replay an unsynced operation whole, not at all, or torn at sector boundaries."""
    if op.op == "T":
        if rng.random() < keep:
            _apply(disk, op, 0, b"")
        return
    roll = rng.random()
    if roll < keep * 0.8:
        _apply(disk, op, op.offset, op.data)
        return
    if roll < keep * 0.8 + (1 - keep * 0.8) * 0.7:
        _dropped(disk, op.offset, len(op.data), rng)
        return
    for start, piece in _sectors(op.offset, op.data):
        choice = rng.random()
        if choice < keep:
            _apply(disk, op, start, piece)
        elif choice < keep + (1 - keep) * 0.6:
            _dropped(disk, start, len(piece), rng)
        else:  # written linearly, from either end, up to where the power went
            cut = rng.randrange(1, len(piece)) if len(piece) > 1 else 1
            if rng.random() < 0.5:
                _apply(disk, op, start, piece[:cut])
            else:
                _dropped(disk, start, cut, rng)
                _apply(disk, op, start + cut, piece[cut:])


def _dropped(disk: bytearray, offset: int, length: int, rng: random.Random) -> None:
    """A write that did not land; past the end of the file, the size may have."""
    end = offset + length
    if end > len(disk) and rng.random() < 0.3:
        if offset > len(disk):
            disk.extend(bytes(offset - len(disk)))
        start = max(offset, len(disk))
        disk.extend(rng.randbytes(end - start))


def _sectors(offset: int, data: bytes) -> list[tuple[int, bytes]]:
    """The parts of a write that fall in each 512-byte sector."""
    parts, at = [], offset
    while at < offset + len(data):
        end = min((at // SECTOR + 1) * SECTOR, offset + len(data))
        parts.append((at, data[at - offset:end - offset]))
        at = end
    return parts


def write_image(files: dict[str, bytes], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (directory / name).write_bytes(content)
