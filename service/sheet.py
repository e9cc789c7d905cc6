"""The first sheet of an XLSX workbook, streamed a row at a time with the standard library's expat parser.

Why not openpyxl's read-only mode: when a sheet has no <dimension> (an optional element) it parses the whole sheet
as it opens the workbook, keeping an element per row, and it pads every row to the declared width; a few hundred
kilobytes that unzip to millions of rows cost gigabytes before the first row is seen. Here no tree is built: the
sheet is fed to expat 64 KiB at a time, each row is handed on once complete, and the caller stops reading when it
has enough. Shared strings are read whole (a sheet refers to them by position) once their declared size, which
zipfile holds the data to, is checked. Values are those data_only openpyxl gives, except that a date stays the
serial number the sheet holds (no import reads a date).
"""
from __future__ import annotations

import os
import posixpath
import re
import zipfile
from typing import BinaryIO, Iterator
from xml.etree import ElementTree
from xml.parsers import expat

MAX_PART = 16 * 1024 * 1024  # the most a part read whole (workbook, relationships, shared strings) may unzip to
MAX_CELL = 131_072  # characters in one cell, as the csv module's field_size_limit
CHUNK = 64 * 1024
_NUMBER = re.compile(r"-?\d+")


class SheetUnreadable(Exception):
    """Not a workbook this reader can read; code is import.xlsx.unreadable, .too_large or .cell_too_long."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def first_sheet_rows(source: BinaryIO | str | os.PathLike, width: int,
                     max_strings: int | None = MAX_PART) -> Iterator[tuple[int, list]]:
    """The first sheet's rows in order: (its row number, its cell values, None for empty, of at most width
    columns). Blank rows are left out, as are rows missing from the sheet. max_strings: the most the shared strings
    may unzip to (None: any size, for an operator's own file)."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, ValueError, EOFError, OSError):
        raise _unreadable() from None
    with archive:
        book = _target(archive, "", "officeDocument")
        strings_at, sheet_at = _target(archive, book, "sharedStrings", None), _first_sheet(archive, book)
        strings = _shared_strings(archive, strings_at, max_strings) if strings_at else []
        try:
            member = archive.open(sheet_at)
        except (KeyError, zipfile.BadZipFile, NotImplementedError):
            raise _unreadable() from None
        with member:
            yield from _parsed(member, _Sheet(strings, width))


def declared_rows(source: BinaryIO | str | os.PathLike) -> int | None:
    """The last row the first sheet's <dimension> declares, read from the sheet's start only; None without one."""
    found: list[str] = []

    def start(name: str, attrs: dict) -> None:
        if _local(name) == "dimension":
            found.append(attrs.get("ref", ""))
        if found or _local(name) == "sheetData":
            raise StopIteration  # what follows is the data: not read

    with zipfile.ZipFile(source) as archive, \
            archive.open(_first_sheet(archive, _target(archive, "", "officeDocument"))) as member:
        parser = expat.ParserCreate(namespace_separator="}")
        parser.StartElementHandler = start
        try:
            while chunk := member.read(CHUNK):
                parser.Parse(chunk, False)
        except StopIteration:
            pass
    last = found[0].rpartition(":")[2] if found else ""
    digits = last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return int(digits) if digits.isdigit() else None


def _unreadable() -> SheetUnreadable:
    return SheetUnreadable("import.xlsx.unreadable", "The file is not an XLSX workbook: save it as .xlsx.")


def _whole(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    """A small part as a tree, after its declared size is checked."""
    try:
        info = archive.getinfo(name)
        if info.file_size > MAX_PART:
            raise SheetUnreadable("import.xlsx.too_large", f"The workbook's part {name} unzips to more than"
                                  f" {MAX_PART // (1024 * 1024)} MiB: save only the sheet to import.")
        return ElementTree.fromstring(archive.read(name))
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, NotImplementedError):
        raise _unreadable() from None


def _local(name: str) -> str:
    return name.rpartition("}")[2]


def _target(archive: zipfile.ZipFile, part: str, kind: str, default: str | None = ...) -> str | None:
    """The part a relationship of this kind (officeDocument, sharedStrings, ...) from part leads to."""
    for rel in _rels(archive, part):
        if rel.get("Type", "").endswith("/" + kind):
            return _resolved(posixpath.dirname(part), rel.get("Target", ""))
    if default is ...:
        raise _unreadable()
    return default


def _resolved(folder: str, target: str) -> str:
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))


def _first_sheet(archive: zipfile.ZipFile, book: str) -> str:
    sheets = next((el for el in _whole(archive, book) if _local(el.tag) == "sheets"), ())
    rel_id = next((v for el in sheets for k, v in el.attrib.items() if _local(k) == "id"), None)
    for rel in _rels(archive, book):
        if rel.get("Id") == rel_id:
            return _resolved(posixpath.dirname(book), rel.get("Target", ""))
    raise _unreadable()


def _rels(archive: zipfile.ZipFile, part: str) -> ElementTree.Element:
    """The relationships of a part (its _rels/<name>.rels beside it)."""
    folder, base = posixpath.split(part)
    return _whole(archive, posixpath.join(folder, "_rels", base + ".rels"))


def _shared_strings(archive: zipfile.ZipFile, name: str, limit: int | None) -> list[str]:
    """Every shared string, streamed like a sheet: a tree of a million strings would cost ten times their text."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise _unreadable() from None
    if limit is not None and info.file_size > limit:
        raise SheetUnreadable("import.xlsx.too_large", f"The workbook's shared strings unzip to more than"
                              f" {limit // (1024 * 1024)} MiB: split the sheet, or send it as CSV.")
    strings = _Strings()
    with archive.open(info) as member:
        for _ in _parsed(member, strings):
            pass
    return strings.out


class _Strings:
    """expat's handlers for the shared strings: the texts of each <si>, its phonetic reading (<rPh>) left out."""

    def __init__(self):
        self.out: list[str] = []
        self.parts: list[str] = []
        self.reading, self.phonetic = False, 0

    def take(self) -> list:
        return []

    def start(self, name: str, attrs: dict) -> None:
        local = _local(name)
        if local == "rPh":
            self.phonetic += 1
        elif local == "t" and not self.phonetic:
            self.reading = True

    def end(self, name: str) -> None:
        local = _local(name)
        if local == "t":
            self.reading = False
        elif local == "rPh":
            self.phonetic -= 1
        elif local == "si":
            self.out.append("".join(self.parts))
            self.parts = []

    def chars(self, data: str) -> None:
        if self.reading:
            self.parts.append(data)


def _parsed(member, sheet) -> Iterator[list]:
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler = sheet.start, sheet.end
    parser.CharacterDataHandler = sheet.chars
    parser.StartDoctypeDeclHandler = _no_doctype  # a sheet has none; entities are how XML bombs grow
    try:
        while chunk := member.read(CHUNK):
            parser.Parse(chunk, False)
            yield from sheet.take()
        parser.Parse(b"", True)
    except (expat.ExpatError, zipfile.BadZipFile, EOFError):
        raise _unreadable() from None
    yield from sheet.take()


def _no_doctype(*_) -> None:
    raise _unreadable()


class _Sheet:
    """expat's handlers for a worksheet: cells are kept until their row ends, rows until taken."""

    def __init__(self, strings: list[str], width: int):
        self.strings, self.width = strings, width
        self.rows: list[list] = []
        self.cells: dict[int, object] | None = None
        self.number = 0
        self.column, self.kind, self.text, self.size, self.reading, self.phonetic = 0, "n", None, 0, False, 0

    def take(self) -> list[tuple[int, list]]:
        rows, self.rows = self.rows, []
        return rows

    def start(self, name: str, attrs: dict) -> None:
        local = _local(name)
        if local == "row":
            ref = attrs.get("r", "")
            self.number = int(ref) if ref.isdigit() else self.number + 1
            self.cells, self.column = {}, 0
        elif local == "c" and self.cells is not None:
            ref = attrs.get("r")
            self.column = _column(ref) if ref else self.column + 1
            self.kind, self.text, self.size = attrs.get("t", "n"), [], 0
        elif local == "rPh":
            self.phonetic += 1
        elif local in ("v", "t") and self.text is not None and not self.phonetic:
            self.reading = True

    def end(self, name: str) -> None:
        local = _local(name)
        if local in ("v", "t"):
            self.reading = False
        elif local == "rPh":
            self.phonetic -= 1
        elif local == "c" and self.text is not None:
            if 0 < self.column <= self.width:
                value = _value(self.kind, "".join(self.text), self.strings)
                if value is not None:
                    self.cells[self.column] = value
            self.text = None
        elif local == "row" and self.cells is not None:
            if self.cells:
                self.rows.append((self.number, [self.cells.get(i) for i in range(1, max(self.cells) + 1)]))
            self.cells = None

    def chars(self, data: str) -> None:
        if self.reading:
            self.size += len(data)
            if self.size > MAX_CELL:
                raise SheetUnreadable("import.xlsx.cell_too_long", f"A cell holds more than {MAX_CELL} characters:"
                                      " shorten it.")
            self.text.append(data)


def _column(ref: str) -> int:
    """1 for A1, 28 for AB7; 0 for a reference that is not one."""
    out = 0
    for ch in ref:
        if not "A" <= ch <= "Z":
            break
        out = out * 26 + ord(ch) - 64
    return out


def _value(kind: str, text: str, strings: list[str]):
    if kind == "s":
        index = int(text) if text.isdigit() else -1
        return strings[index] if 0 <= index < len(strings) else None
    if kind in ("inlineStr", "str", "e", "d"):
        return text
    if kind == "b":
        return text.strip() in ("1", "true")
    text = text.strip()
    if not text:
        return None
    if _NUMBER.fullmatch(text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text
