"""Large exports are parsed in a child process while the importing process writes.

Parsing (decoding, cleaning cells, dates, amounts, grouping rows into orders) and writing
(resolving fans, upserting) each take a large share of an import; on two cores they overlap.
The child (``python -m`` of this module, so nothing of the parent's state and no open
connection is inherited) re-opens the file and streams its records back as pickled chunks
through a pipe, and waits when it runs too far ahead: memory stays flat whatever the file's
size. Small files, and one-core machines, parse in-process.
"""

from __future__ import annotations

import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import IO, Any, cast

from siyu.kit.jsontext import EncodedJSON

from .privacy import scrub_raw
from .records import FatalImportError, ParsedItemRow, ParsedOrder, RowError

Record = ParsedOrder | ParsedItemRow | RowError

# Below this size a child process costs more to start than it saves (~40k Taobao rows).
CHILD_MIN_BYTES = 16 * 2**20
CHUNK_RECORDS = 1_000
QUEUE_FRAMES = 8  # chunks the child may run ahead of the writer
_HEADER = struct.Struct("<Q")  # each chunk's length, before it
_POLL_SECONDS = 0.5


@contextmanager
def parsed_records(
    reader: Iterable[Record], path: Path, platform: str, tz: str
) -> Iterator[Iterable[Record]]:
    """``reader``'s records, parsed in a child process when the file is large enough; the
    child is stopped on leaving, even when the writer gave up half-way."""
    if not _child_worthwhile(path):
        yield reader
        return
    records = _from_child(path, platform, tz)
    try:
        yield records
    finally:
        records.close()


def _child_worthwhile(path: Path) -> bool:
    if (os.cpu_count() or 1) < 2 or not sys.executable:  # embedded interpreters have none
        return False
    try:
        return path.stat().st_size >= CHILD_MIN_BYTES
    except OSError:
        return False


def _from_child(path: Path, platform: str, tz: str) -> Generator[Record]:
    command = [sys.executable, "-m", __name__, str(path), platform, tz]
    # An argument list, no shell: the file's path is never interpreted.
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)  # noqa: S603
    pipe = _Pipe(cast("IO[bytes]", child.stdout))
    try:
        while True:
            message = pipe.next_message(child)
            kind = message[0]
            if kind == "records":
                yield from message[1]
            elif kind == "end":
                return
            elif kind == "fatal":
                _, message_id, values, guess, missing = message
                raise FatalImportError(
                    message_id, values=values, platform_guess=guess, missing_columns=missing
                )
            else:
                raise RuntimeError(f"parsing the file failed: {message[1]}")
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        pipe.close()


class _Pipe:
    """The child's output, drained by a thread into a bounded queue of frames.

    A pipe holds 64 KiB, a chunk is about 1.5 MiB: read only when the writer wants its next
    chunk, the pipe would keep the child waiting for most of each batch's write. The thread
    reads as the child writes (the GIL is released while it waits on the pipe), so the child
    runs ahead by up to ``QUEUE_FRAMES`` chunks.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._frames: queue.Queue[bytes] = queue.Queue(maxsize=QUEUE_FRAMES)
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._drain, name="siyu-import-pipe", daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        try:
            while not self._stop.is_set():
                header = self._stream.read(_HEADER.size)
                if len(header) < _HEADER.size:
                    return
                size = _HEADER.unpack(header)[0]
                frame = self._stream.read(size)
                if len(frame) < size:  # the child died mid-chunk
                    return
                while not self._stop.is_set():
                    try:
                        self._frames.put(frame, timeout=_POLL_SECONDS)
                        break
                    except queue.Full:
                        continue
        except (OSError, ValueError):  # the child was stopped under it
            return

    def next_message(self, child: subprocess.Popen[bytes]) -> tuple[Any, ...]:
        while True:
            try:
                frame = self._frames.get(timeout=_POLL_SECONDS)
                return tuple(pickle.loads(frame))  # noqa: S301 - our own child's output
            except queue.Empty:
                if not self._reader.is_alive() and self._frames.empty():
                    raise RuntimeError(
                        f"the parser process stopped unexpectedly (exit code {child.wait()})"
                    ) from None

    def close(self) -> None:
        """After the child has exited: the thread sees the pipe's end and stops."""
        self._stop.set()
        self._reader.join()
        self._stream.close()


def _parse_into(path: str, platform: str, tz: str, out: IO[bytes]) -> None:
    """The child: parse the file and hand its records over, a chunk at a time."""
    from . import open_export

    def send(*message: Any) -> None:
        frame = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_HEADER.pack(len(frame)))
        out.write(frame)

    try:
        records = iter(open_export(path, platform, tz=tz))
        while chunk := list(islice(records, CHUNK_RECORDS)):
            send("records", [_encoded(record) for record in chunk])
        send("end")
    except FatalImportError as fatal:
        send("fatal", fatal.message_id, fatal.values, fatal.platform_guess, fatal.missing_columns)
    except Exception as exc:  # the parent reports it; the child has nobody else to tell
        send("error", f"{type(exc).__name__}: {exc}")
    out.flush()


def _encoded(record: Record) -> Record:
    """The raw row scrubbed and encoded here: a text pickles, unpickles and is stored at a
    fraction of the cost of a dict of forty cells, and this is the process with time to spare."""
    if isinstance(record, ParsedOrder) and isinstance(record.raw, dict):
        record.raw = EncodedJSON.of(scrub_raw(record.raw))
    return record


if __name__ == "__main__":
    _path, _platform, _tz = sys.argv[1:4]
    _parse_into(_path, _platform, _tz, sys.stdout.buffer)
