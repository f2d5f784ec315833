"""What an attachment really is, read from its bytes, and whether the people who open it should be warned.

A customer's file is stored whatever it is (it is evidence, and agents may need it), and
every download is already a file, never rendered (tickets.downloads). What was missing is
the warning: a Windows program named ``invoice.pdf`` and sent as application/pdf showed as
"invoice.pdf · application/pdf". The name and the declared type are the sender's word;
the first bytes (magic numbers) and, for a ZIP, its list of names are the file's own.

A small table of signatures, not a library: the kinds that matter are the ones that run
(programs, scripts, apps, Office macros) and a file whose bytes contradict its name. Pure
functions of the bytes already in memory when the file is stored: no second read.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.utils.translation import gettext, gettext_lazy

from capdesk.tickets.downloads import image_type


class Risk:
    """Why a file is flagged; each has the words the warning starts with."""

    WINDOWS_PROGRAM = "windows_program"
    LINUX_PROGRAM = "linux_program"
    MAC_PROGRAM = "mac_program"
    JAVA_PROGRAM = "java_program"
    ANDROID_APP = "android_app"
    SCRIPT = "script"
    MACRO_DOCUMENT = "macro_document"
    ARCHIVE_WITH_PROGRAM = "archive_with_program"
    # The bytes are of another kind than the name or the declared type says (a PDF named .png).
    MISMATCH = "mismatch"


RISK_NAMES = {
    Risk.WINDOWS_PROGRAM: gettext_lazy("Windows program"),
    Risk.LINUX_PROGRAM: gettext_lazy("Linux program"),
    Risk.MAC_PROGRAM: gettext_lazy("Mac program"),
    Risk.JAVA_PROGRAM: gettext_lazy("Java program"),
    Risk.ANDROID_APP: gettext_lazy("Android app"),
    Risk.SCRIPT: gettext_lazy("Script"),
    Risk.MACRO_DOCUMENT: gettext_lazy("Office document with macros"),
    Risk.ARCHIVE_WITH_PROGRAM: gettext_lazy("Archive containing a program"),
}

# What the types sniffed are called in a warning about a file whose name says otherwise.
TYPE_NAMES = {
    "application/pdf": gettext_lazy("PDF document"),
    "image/png": gettext_lazy("Image"),
    "image/jpeg": gettext_lazy("Image"),
    "image/gif": gettext_lazy("Image"),
    "image/webp": gettext_lazy("Image"),
    "application/zip": gettext_lazy("ZIP archive"),
    "application/gzip": gettext_lazy("Compressed file"),
    "application/x-7z-compressed": gettext_lazy("7-Zip archive"),
    "application/vnd.rar": gettext_lazy("RAR archive"),
    "application/x-ole-storage": gettext_lazy("Legacy Office document or Windows installer"),
    "application/vnd.openxmlformats-officedocument": gettext_lazy("Office document"),
    "application/vnd.oasis.opendocument": gettext_lazy("OpenDocument file"),
}

_PROGRAM_SIGNATURES = (
    (b"MZ", "application/x-msdownload", Risk.WINDOWS_PROGRAM),
    (b"\x7fELF", "application/x-executable", Risk.LINUX_PROGRAM),
    (b"\xfe\xed\xfa\xce", "application/x-mach-binary", Risk.MAC_PROGRAM),
    (b"\xfe\xed\xfa\xcf", "application/x-mach-binary", Risk.MAC_PROGRAM),
    (b"\xce\xfa\xed\xfe", "application/x-mach-binary", Risk.MAC_PROGRAM),
    (b"\xcf\xfa\xed\xfe", "application/x-mach-binary", Risk.MAC_PROGRAM),
    (b"#!", "text/x-shellscript", Risk.SCRIPT),
)
_TYPE_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x1f\x8b", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
)
# Files that run when opened, whatever their bytes look like (a script is plain text).
_RISKY_EXTENSIONS = {
    **dict.fromkeys(("exe", "com", "scr", "pif", "cpl", "dll", "msi", "msix", "appx"), Risk.WINDOWS_PROGRAM),
    **dict.fromkeys(
        ("bat", "cmd", "ps1", "psm1", "vbs", "vbe", "js", "jse", "wsf", "wsh", "hta", "lnk", "reg", "sh"),
        Risk.SCRIPT,
    ),
    **dict.fromkeys(("docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppsm"), Risk.MACRO_DOCUMENT),
    "jar": Risk.JAVA_PROGRAM,
    "apk": Risk.ANDROID_APP,
    **dict.fromkeys(("dmg", "pkg", "command"), Risk.MAC_PROGRAM),
}
# What a name's extension or a declared type promises, as a family the sniffed type is compared with.
_ZIP_FAMILY = "application/zip"
_FAMILY_OF_TYPE = {
    "application/vnd.openxmlformats-officedocument": _ZIP_FAMILY,
    "application/vnd.oasis.opendocument": _ZIP_FAMILY,
    "application/java-archive": _ZIP_FAMILY,
    "application/vnd.android.package-archive": _ZIP_FAMILY,
    "image/png": "image",
    "image/jpeg": "image",
    "image/gif": "image",
    "image/webp": "image",
}
_FAMILY_OF_EXTENSION = {
    "pdf": "application/pdf",
    **dict.fromkeys(("png", "jpg", "jpeg", "gif", "webp"), "image"),
    **dict.fromkeys(
        ("zip", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub", "jar", "apk", "ipa", "aab"), _ZIP_FAMILY
    ),
    **dict.fromkeys(("gz", "tgz"), "application/gzip"),
    "7z": "application/x-7z-compressed",
    "rar": "application/vnd.rar",
    **dict.fromkeys(("doc", "xls", "ppt", "msg", "msi"), "application/x-ole-storage"),
}
_DECLARED_FAMILY = {
    "application/pdf": "application/pdf",
    **dict.fromkeys(("image/png", "image/jpeg", "image/gif", "image/webp"), "image"),
    **dict.fromkeys(("application/zip", "application/x-zip-compressed"), _ZIP_FAMILY),
    **dict.fromkeys(("application/gzip", "application/x-gzip"), "application/gzip"),
}


@dataclass(frozen=True)
class Sniffed:
    """The type the bytes show ("" when no signature matched) and why to warn ("" for no warning)."""

    content_type: str = ""
    risk: str = ""


def sniff(filename: str, declared_type: str, content: bytes) -> Sniffed:
    """What the file is and whether to warn: its own bytes first, then what its name says it does."""
    content_type, risk = _by_bytes(content)
    name_risk = _RISKY_EXTENSIONS.get(_extension(filename), "")
    risk = risk or name_risk
    if not risk and content_type and _contradicted(content_type, filename, declared_type):
        risk = Risk.MISMATCH
    return Sniffed(content_type, risk)


def warning(risk: str, content_type: str, filename: str) -> str:
    """ "Windows program, named invoice.pdf": what the file is, beside what it claims to be."""
    if not risk:
        return ""
    kind = RISK_NAMES.get(risk) or TYPE_NAMES.get(content_type) or content_type
    return gettext("%(kind)s, named %(filename)s") % {"kind": kind, "filename": filename}


def _by_bytes(content: bytes) -> tuple[str, str]:
    for signature, content_type, risk in _PROGRAM_SIGNATURES:
        if content.startswith(signature):
            return content_type, risk
    if content.startswith(b"\xca\xfe\xba\xbe"):
        # Mach-O universal binaries and Java classes share a signature; a universal binary
        # counts its architectures next (a few), a class its version (45 and up), as file(1) does.
        return (
            ("application/x-mach-binary", Risk.MAC_PROGRAM)
            if int.from_bytes(content[4:8], "big") < 45
            else ("application/java-vm", Risk.JAVA_PROGRAM)
        )
    if content.startswith(b"PK\x03\x04"):
        return _zip(content)
    image = image_type(content[:12])
    if image:
        return image, ""
    for signature, content_type in _TYPE_SIGNATURES:
        if content.startswith(signature):
            return content_type, ""
    return "", ""


def _zip(content: bytes) -> tuple[str, str]:
    """A ZIP by the names it holds: an app, a Java program, an Office file with macros, a program inside."""
    try:
        names = zipfile.ZipFile(io.BytesIO(content)).namelist()  # reads the directory, not the files
    except (zipfile.BadZipFile, ValueError, OSError):
        return _ZIP_FAMILY, ""
    listed = set(names)
    if "AndroidManifest.xml" in listed and "classes.dex" in listed:
        return "application/vnd.android.package-archive", Risk.ANDROID_APP
    if "META-INF/MANIFEST.MF" in listed and any(n.endswith(".class") for n in names):
        return "application/java-archive", Risk.JAVA_PROGRAM
    office = "[Content_Types].xml" in listed
    if office and any(n.lower().endswith("vbaproject.bin") for n in names):
        return "application/vnd.openxmlformats-officedocument", Risk.MACRO_DOCUMENT
    if any(_RISKY_EXTENSIONS.get(_extension(n)) for n in names):
        return _ZIP_FAMILY, Risk.ARCHIVE_WITH_PROGRAM
    if office:
        return "application/vnd.openxmlformats-officedocument", ""
    if "mimetype" in listed:
        return "application/vnd.oasis.opendocument", ""
    return _ZIP_FAMILY, ""


def _contradicted(content_type: str, filename: str, declared_type: str) -> bool:
    """The name's extension or the declared type promises another kind of file than the bytes show."""
    family = _FAMILY_OF_TYPE.get(content_type, content_type)
    promised = {
        _FAMILY_OF_EXTENSION.get(_extension(filename)),
        _DECLARED_FAMILY.get(declared_type.split(";")[0].strip().lower()),
    } - {None}
    return any(p != family for p in promised)


def _extension(filename: str) -> str:
    return PurePosixPath(filename.replace("\\", "/")).suffix.lower().lstrip(".")
