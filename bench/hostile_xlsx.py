#!/usr/bin/env python3
"""Writes hostile XLSX workbooks for bench/faults.sh (hostile-workbooks) into a folder, one
per kind as <kind>.xlsx, and good.xlsx, a one-row register that imports cleanly. Each is a
minimal but valid XLSX apart from the one thing it lies about or overdoes, and each file is
under the portal's 5 MB upload limit: the damage is in what it declares or unpacks to.

    python3 bench/hostile_xlsx.py DIR

Prints one line per file: its name and size.
"""
import io
import os
import sys
import zipfile

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
OFFICE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

MAX_FILE = 5 * 1024 * 1024
CHUNK = b" " * (1024 * 1024)
LIE = (0xFFFFFFF0).to_bytes(4, "little")

CONTENT_TYPES = (
    HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="png" ContentType="image/png"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{OFFICE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{OFFICE}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{OFFICE}.sharedStrings+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{OFFICE}.styles+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    HEAD + f'<Relationships xmlns="{RELS}">'
    f'<Relationship Id="rId1" Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    HEAD + f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}">'
    '<sheets><sheet name="Register" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    HEAD + f'<Relationships xmlns="{RELS}">'
    f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
    f'<Relationship Id="rId3" Type="{DOC_RELS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)


def styles(cell_xfs_count=1):
    return (
        HEAD + f'<styleSheet xmlns="{MAIN}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{cell_xfs_count}"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )


def column(n):
    """1 → A, 27 → AA, 16384 → XFD."""
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def inline(ref, text):
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def row(number, values):
    cells = "".join(inline(f"{column(i + 1)}{number}", v) for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


REGISTER = row(1, ["title", "summary", "service_area", "type"]) + row(
    2, ["Shared legal", "One team", "legal", "other"]
)


def sheet(data, before=""):
    return HEAD + f'<worksheet xmlns="{MAIN}">{before}<sheetData>{data}</sheetData></worksheet>'


def strings(count=0, unique=0, items=""):
    return HEAD + f'<sst xmlns="{MAIN}" count="{count}" uniqueCount="{unique}">{items}</sst>'


def spaces(head, megabytes, tail):
    """A part streamed in 1 MB chunks: head, that many megabytes of spaces, tail."""

    def chunks():
        yield head.encode()
        for _ in range(megabytes):
            yield CHUNK
        yield tail.encode()

    return chunks


def workbook(sheet1=None, shared=None, style=None, extra=()):
    """The zip's bytes. A part is a str, or a function giving chunks to stream."""
    parts = [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/worksheets/sheet1.xml", sheet1 if sheet1 is not None else sheet(REGISTER)),
        ("xl/sharedStrings.xml", shared if shared is not None else strings()),
        ("xl/styles.xml", style if style is not None else styles()),
    ]
    parts.extend(extra)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, content in parts:
            if callable(content):
                with z.open(name, "w", force_zip64=True) as part:
                    for chunk in content():
                        part.write(chunk)
            else:
                z.writestr(name, content)
    return out.getvalue()


def lie_about_sizes(data):
    """Every entry's uncompressed size, in its local and its central header, set to
    0xFFFFFFF0: found through the central directory, not by searching for signatures."""
    b = bytearray(data)
    end = b.rfind(b"PK\x05\x06")
    entries = int.from_bytes(b[end + 10 : end + 12], "little")
    at = int.from_bytes(b[end + 16 : end + 20], "little")
    for _ in range(entries):
        assert b[at : at + 4] == b"PK\x01\x02", "central header expected"
        b[at + 24 : at + 28] = LIE
        local = int.from_bytes(b[at + 42 : at + 46], "little")
        assert b[local : local + 4] == b"PK\x03\x04", "local header expected"
        b[local + 22 : local + 26] = LIE
        name, extra, comment = (
            int.from_bytes(b[at + o : at + o + 2], "little") for o in (28, 30, 32)
        )
        at += 46 + name + extra + comment
    return bytes(b)


def kinds():
    yield "good", lambda: workbook()
    yield "sst-count", lambda: workbook(
        shared=strings(4_000_000_000, 4_000_000_000, "<si><t>title</t></si>")
    )
    yield "dimension", lambda: workbook(
        sheet1=sheet(REGISTER, before='<dimension ref="A1:XFD1048576"/>')
    )
    yield "corners", lambda: workbook(
        sheet1=sheet(row(1, ["title"]) + f'<row r="1048576">{inline("XFD1048576", "corner")}</row>')
    )
    # Rows and cells without references (they are optional), so only counting them tells.
    yield "rows", lambda: workbook(
        sheet1=sheet("<row><c><v>1</v></c></row>" * 30_000)
    )
    yield "wide", lambda: workbook(
        sheet1=sheet("<row>" + "<c><v>1</v></c>" * 20_000 + "</row>")
    )
    yield "styles", lambda: workbook(style=styles(1_000_000_000))
    yield "sheet-bomb", lambda: workbook(
        sheet1=spaces(HEAD + f'<worksheet xmlns="{MAIN}"><sheetData>', 500,
                      "</sheetData></worksheet>")
    )
    yield "strings-bomb", lambda: workbook(
        shared=spaces(HEAD + f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>', 200,
                      "</t></si></sst>")
    )
    yield "lying-sizes", lambda: lie_about_sizes(workbook())
    yield "many-parts", lambda: workbook(
        extra=[(f"xl/media/image{n}.png", "") for n in range(1, 5001)]
    )


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: hostile_xlsx.py DIR")
    folder = sys.argv[1]
    os.makedirs(folder, exist_ok=True)
    too_big = []
    for kind, make in kinds():
        data = make()
        name = f"{kind}.xlsx"
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        print(f"{name:<18} {len(data):>9,} bytes")
        if len(data) >= MAX_FILE:
            too_big.append(name)
    if too_big:
        sys.exit(f"over {MAX_FILE:,} bytes: {', '.join(too_big)}")


if __name__ == "__main__":
    main()
