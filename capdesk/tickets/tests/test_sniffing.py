"""What a stored file really is, from its bytes: programs and files whose name lies are flagged."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.utils import translation

from capdesk.tickets.sniffing import Risk, Sniffed, sniff, warning

PROGRAM = b"MZ\x90\x00" + bytes(200)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)


def _zip(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, b"x")
    return out.getvalue()


@pytest.mark.parametrize(
    ("filename", "declared", "content", "expected"),
    [
        # The walkthrough's two: an installer, and one named and declared as a PDF.
        (
            "setup.exe",
            "application/octet-stream",
            PROGRAM,
            Sniffed("application/x-msdownload", Risk.WINDOWS_PROGRAM),
        ),
        (
            "invoice.pdf",
            "application/pdf",
            PROGRAM,
            Sniffed("application/x-msdownload", Risk.WINDOWS_PROGRAM),
        ),
        (
            "crash",
            "application/octet-stream",
            b"\x7fELF\x02\x01" + bytes(50),
            Sniffed("application/x-executable", Risk.LINUX_PROGRAM),
        ),
        ("tool", "", b"\xcf\xfa\xed\xfe" + bytes(50), Sniffed("application/x-mach-binary", Risk.MAC_PROGRAM)),
        (
            "universal",
            "",
            b"\xca\xfe\xba\xbe\x00\x00\x00\x02" + bytes(50),
            Sniffed("application/x-mach-binary", Risk.MAC_PROGRAM),
        ),
        (
            "Main.class",
            "",
            b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + bytes(50),
            Sniffed("application/java-vm", Risk.JAVA_PROGRAM),
        ),
        ("notes.txt", "text/plain", b"#!/bin/sh\nrm -rf ~\n", Sniffed("text/x-shellscript", Risk.SCRIPT)),
        # Scripts are text: their name is what makes Windows run them.
        ("fix.bat", "text/plain", b"@echo off\r\n", Sniffed("", Risk.SCRIPT)),
        ("Invoice.PDF.js", "text/javascript", b"var x = 1;", Sniffed("", Risk.SCRIPT)),
        (
            "report.docm",
            "application/octet-stream",
            _zip("[Content_Types].xml", "word/vbaProject.bin"),
            Sniffed("application/vnd.openxmlformats-officedocument", Risk.MACRO_DOCUMENT),
        ),
        (
            "report.docx",
            "application/octet-stream",
            _zip("[Content_Types].xml", "word/document.xml", "word/vbaProject.bin"),
            Sniffed("application/vnd.openxmlformats-officedocument", Risk.MACRO_DOCUMENT),
        ),
        (
            "app-release.zip",
            "application/zip",
            _zip("AndroidManifest.xml", "classes.dex"),
            Sniffed("application/vnd.android.package-archive", Risk.ANDROID_APP),
        ),
        (
            "lib.zip",
            "application/zip",
            _zip("META-INF/MANIFEST.MF", "com/acme/Main.class"),
            Sniffed("application/java-archive", Risk.JAVA_PROGRAM),
        ),
        (
            "logs.zip",
            "application/zip",
            _zip("logs/app.log", "tools/Setup.EXE"),
            Sniffed("application/zip", Risk.ARCHIVE_WITH_PROGRAM),
        ),
        # A name or a declared type the bytes contradict.
        ("photo.png", "image/png", PDF, Sniffed("application/pdf", Risk.MISMATCH)),
        ("scan", "application/pdf", PNG, Sniffed("image/png", Risk.MISMATCH)),
        ("archive.zip", "application/zip", PDF, Sniffed("application/pdf", Risk.MISMATCH)),
    ],
)
def test_it_flags_programs_and_files_whose_bytes_contradict_their_name(
    filename: str, declared: str, content: bytes, expected: Sniffed
) -> None:
    assert sniff(filename, declared, content) == expected


@pytest.mark.parametrize(
    ("filename", "declared", "content", "sniffed_type"),
    [
        ("crash-log.pdf", "application/pdf", PDF, "application/pdf"),
        # Mail clients mix up image types; an image is an image.
        ("screenshot.jpg", "image/jpeg", PNG, "image/png"),
        (
            "report.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            _zip("[Content_Types].xml", "word/document.xml"),
            "application/vnd.openxmlformats-officedocument",
        ),
        (
            "sheet.ods",
            "application/octet-stream",
            _zip("mimetype", "content.xml"),
            "application/vnd.oasis.opendocument",
        ),
        ("logs.zip", "application/zip", _zip("logs/app.log"), "application/zip"),
        ("broken.zip", "application/zip", b"PK\x03\x04 not really", "application/zip"),
        ("console.log", "text/plain", b"E/Capacitor: update failed", ""),
        ("unnamed", "application/octet-stream", b"", ""),
    ],
)
def test_it_does_not_flag_ordinary_files(
    filename: str, declared: str, content: bytes, sniffed_type: str
) -> None:
    assert sniff(filename, declared, content) == Sniffed(sniffed_type, "")


def test_it_says_what_the_file_is_beside_what_it_claims_to_be() -> None:
    assert warning(Risk.WINDOWS_PROGRAM, "application/x-msdownload", "invoice.pdf") == (
        "Windows program, named invoice.pdf"
    )
    assert warning(Risk.MISMATCH, "application/pdf", "photo.png") == "PDF document, named photo.png"
    assert warning("", "application/pdf", "invoice.pdf") == ""
    with translation.override("id"):
        assert warning(Risk.WINDOWS_PROGRAM, "application/x-msdownload", "invoice.pdf") == (
            "Program Windows, bernama invoice.pdf"
        )
