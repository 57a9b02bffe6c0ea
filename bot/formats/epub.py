"""EPUB uploads: container.xml -> OPF -> spine, each chapter read as HTML, with zip bombs and unsafe paths refused.

Only the members the spine names are ever decompressed, each with a hard cap on what it may expand to.
"""
from __future__ import annotations

import dataclasses
import io
import logging
import posixpath
import re
import zipfile
from dataclasses import dataclass
from urllib.parse import unquote
from xml.etree import ElementTree

from bot.formats import fanficfare
from bot.formats.html import (
    Extract,
    extract_document,
    fanficfare_contents,
    html_to_text,
    parse_html,
    text_of,
)
from bot.formats.manuscript import Metadata
from bot.formats.text import UploadRejected, check_readable
from bot.markdown import escape

log = logging.getLogger(__name__)


def _named(name: str, limit: int) -> str:
    """A name from inside the upload (a file, a link, an id), shown in a refusal: cut to `limit`
    characters, on one line, in quotes, its markdown and mentions neutralised (the file's text is
    untrusted, and the refusal goes to Discord as is)."""
    return f"“{escape(' '.join(name[:limit].split()))}”"


@dataclass(frozen=True, slots=True)
class EpubLimits:
    max_members: int = 2000
    max_total_uncompressed: int = 64 * 1024 * 1024  # declared size of every member together
    max_ratio: int = 100  # uncompressed / compressed, for members big enough to matter
    ratio_floor: int = 1024 * 1024  # members smaller than this may compress as well as they like
    max_xml: int = 2 * 1024 * 1024  # container.xml and the OPF


DEFAULT_LIMITS = EpubLimits()
_XHTML_TYPES = ("application/xhtml+xml", "text/html", "application/xml")
# Spine items that are a book's furniture rather than its text.
_FURNITURE = (
    "cover", "titlepage", "title_page", "title-page", "toc", "toc_page", "nav", "contents", "information", "log_page",
)


def _unsafe(name: str) -> bool:
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return True
    return any(part == ".." for part in name.replace("\\", "/").split("/"))


def _check_archive(archive: zipfile.ZipFile, compressed_size: int, limits: EpubLimits) -> None:
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise UploadRejected(f"The EPUB holds more than {limits.max_members} files; refusing it.")
    total = 0
    for info in infos:
        if _unsafe(info.filename):
            raise UploadRejected(
                f"The EPUB contains an unsafe path ({_named(info.filename, 80)}); refusing it."
            )
        if info.flag_bits & 0x1:
            raise UploadRejected("The EPUB is encrypted (DRM); only DRM-free EPUBs can be read.")
        total += info.file_size
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise UploadRejected("The EPUB looks like a zip bomb (a file inflates far too much); refusing it.")
    if total > limits.max_total_uncompressed:
        raise UploadRejected("The EPUB looks like a zip bomb (it inflates far beyond its size); refusing it.")
    if total > limits.ratio_floor and total > limits.max_ratio * max(compressed_size, 1):
        raise UploadRejected("The EPUB looks like a zip bomb (it inflates far beyond its size); refusing it.")


def _read(archive: zipfile.ZipFile, name: str, cap: int) -> bytes:
    """Decompress one member, stopping at `cap` bytes whatever its header claims."""
    try:
        with archive.open(name) as member:
            data = member.read(cap + 1)
    except KeyError:
        raise UploadRejected(f"The EPUB is broken: {_named(name, 80)} is listed but missing.") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError):
        raise UploadRejected(f"The EPUB is broken: {_named(name, 80)} cannot be decompressed.") from None
    if len(data) > cap:
        raise UploadRejected("The EPUB looks like a zip bomb (a file inflates far too much); refusing it.")
    return data


def _xml(data: bytes, what: str) -> ElementTree.Element:
    # Entity declarations are how XML bombs expand; a real container or OPF never needs them.
    if b"<!ENTITY" in data.upper() or b"<!DOCTYPE" in data.upper():
        raise UploadRejected(f"The EPUB's {what} declares a DTD or entities; refusing it.")
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError:
        raise UploadRejected(f"The EPUB is broken: its {what} is not valid XML.") from None


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1].lower()


def _resolve(base_dir: str, href: str) -> str:
    path = unquote(href.split("#", 1)[0])
    if _unsafe(path) or "://" in path:
        raise UploadRejected(f"The EPUB points outside itself ({_named(href, 80)}); refusing it.")
    resolved = posixpath.normpath(posixpath.join(base_dir, path))
    if _unsafe(resolved):
        raise UploadRejected(f"The EPUB points outside itself ({_named(href, 80)}); refusing it.")
    return resolved


def _opf_path(archive: zipfile.ZipFile, limits: EpubLimits) -> str:
    if "META-INF/container.xml" not in archive.namelist():
        raise UploadRejected("The EPUB is broken: it has no META-INF/container.xml.")
    container = _xml(_read(archive, "META-INF/container.xml", limits.max_xml), "container.xml")
    for node in container.iter():
        if _local(node.tag) == "rootfile" and node.get("full-path"):
            return _resolve("", node.get("full-path", ""))
    raise UploadRejected("The EPUB is broken: container.xml names no package (OPF) file.")


# dc:subject entries that describe the download rather than the story (FanFicFare adds them).
_NOT_TAGS = re.compile(r"^(last update|fanfiction$|in-progress$|completed?$)", re.IGNORECASE)


def _metadata(package: ElementTree.Element) -> Metadata:
    """The OPF's Dublin Core metadata: title, creator, description, subjects (tags), language, source."""
    found: dict[str, str] = {}
    tags: list[str] = []
    for node in package.iter():
        name = _local(node.tag)
        text = " ".join("".join(node.itertext()).split())
        if not text:
            continue
        if name == "subject":
            # FanFicFare escapes an ampersand twice in its subjects.
            tag = text.replace("&amp;", "&")
            if not _NOT_TAGS.match(tag) and tag not in tags:
                tags.append(tag)
        elif name == "identifier" and "://" in text:
            found.setdefault("url", text)
        elif name in ("title", "creator", "description", "language", "source") and name not in found:
            found[name] = "".join(node.itertext()).strip() if name == "description" else text
    summary = found.get("description")
    if summary:
        # dc:description is often escaped HTML from the archive's summary box.
        summary = text_of(parse_html(summary)) or None
    source = found.get("source") if "://" in found.get("source", "") else found.get("url")
    return Metadata(
        title=found.get("title"), author=found.get("creator"), summary=summary, tags=tuple(tags),
        language=found.get("language"), source=source,
    )


def _toc_labels(
    archive: zipfile.ZipFile, package: ElementTree.Element, opf_dir: str, limits: EpubLimits
) -> dict[str, str]:
    """Document path -> its title in the table of contents: the EPUB 3 nav, else the EPUB 2 NCX.
    Empty when the book has neither (or they cannot be read: the contents are a nicety)."""
    manifest = {n.get("id"): n for n in package.iter() if _local(n.tag) == "item" and n.get("id") and n.get("href")}
    nav = next((n for n in manifest.values() if "nav" in (n.get("properties") or "").split()), None)
    spine = next((n for n in package.iter() if _local(n.tag) == "spine"), None)
    ncx = manifest.get(spine.get("toc")) if spine is not None and spine.get("toc") else None
    labels: dict[str, str] = {}
    try:
        if nav is not None:
            path = _resolve(opf_dir, nav.get("href", ""))
            document = parse_html(_decode_xhtml(_read(archive, path, limits.max_xml)))
            for link in document.iter():
                if link.tag == "a" and link.attrs.get("href") and text_of(link):
                    labels.setdefault(_resolve(posixpath.dirname(path), link.attrs["href"]), text_of(link))
        elif ncx is not None:
            path = _resolve(opf_dir, ncx.get("href", ""))
            for point in _xml(_read(archive, path, limits.max_xml), "table of contents (NCX)").iter():
                if _local(point.tag) != "navpoint":
                    continue
                label = next((" ".join("".join(t.itertext()).split()) for t in point.iter() if _local(t.tag) == "text"), "")
                content = next((c.get("src", "") for c in point.iter() if _local(c.tag) == "content"), "")
                if label and content:
                    labels.setdefault(_resolve(posixpath.dirname(path), content), label)
    except UploadRejected as error:
        log.info("table of contents not read: %s", error)
        return {}
    return labels


def _fanficfare_title_page(package: ElementTree.Element, opf_dir: str) -> str | None:
    """The path of the title page of an EPUB FanFicFare wrote, else None."""
    made_by_fanficfare = any(
        _local(node.tag) in ("contributor", "identifier") and "fanficfare" in "".join(node.itertext()).lower()
        for node in package.iter()
    )
    if not made_by_fanficfare:
        return None
    for node in package.iter():
        if _local(node.tag) == "item" and node.get("id") == "title_page" and node.get("href"):
            return _resolve(opf_dir, node.get("href", ""))
    return None


def _spine_documents(package: ElementTree.Element, opf_dir: str) -> list[tuple[str, str]]:
    """(path, manifest id) of the spine's readable documents in reading order."""
    manifest: dict[str, tuple[str, str, str]] = {}
    spine: list[str] = []
    furniture: set[str] = set()
    for node in package.iter():
        name = _local(node.tag)
        if name == "item" and node.get("id") and node.get("href"):
            manifest[node.get("id", "")] = (
                node.get("href", ""),
                node.get("media-type", ""),
                node.get("properties", ""),
            )
        elif name == "itemref" and node.get("idref"):
            spine.append(node.get("idref", ""))
        elif name == "reference" and node.get("type", "").lower() in ("cover", "title-page", "toc"):
            furniture.add(_resolve(opf_dir, node.get("href", "")))
    documents = []
    for idref in spine:
        if idref not in manifest:
            raise UploadRejected(f"The EPUB is broken: its spine names {_named(idref, 40)}, which is not in the manifest.")
        href, media_type, properties = manifest[idref]
        if media_type not in _XHTML_TYPES or "nav" in properties.split():
            continue
        path = _resolve(opf_dir, href)
        stem = posixpath.splitext(posixpath.basename(path))[0].lower()
        if path in furniture or idref.lower() in _FURNITURE or stem in _FURNITURE:
            continue
        documents.append((path, idref))
    return documents


# Font obfuscation also lives in encryption.xml but hides only fonts, never the text.
_FONT_OBFUSCATION = ("http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC")


def _encrypted_paths(archive: zipfile.ZipFile, limits: EpubLimits) -> set[str]:
    """Members META-INF/encryption.xml says are encrypted (DRM), font obfuscation aside."""
    if "META-INF/encryption.xml" not in archive.namelist():
        return set()
    root = _xml(_read(archive, "META-INF/encryption.xml", limits.max_xml), "encryption.xml")
    encrypted: set[str] = set()
    for data in root.iter():
        if _local(data.tag) != "encrypteddata":
            continue
        algorithm = next((n.get("Algorithm", "") for n in data.iter() if _local(n.tag) == "encryptionmethod"), "")
        if algorithm in _FONT_OBFUSCATION:
            continue
        for reference in data.iter():
            if _local(reference.tag) == "cipherreference" and reference.get("URI"):
                encrypted.add(_resolve("", reference.get("URI", "")))
    return encrypted


def convert_epub(data: bytes, *, limits: EpubLimits = DEFAULT_LIMITS) -> tuple[str, Metadata]:
    """EPUB bytes -> (parser text, metadata), or UploadRejected saying what is wrong with the file."""
    if not data:
        raise UploadRejected("The EPUB file is empty.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise UploadRejected("That is not an EPUB: the file is not a zip archive.") from None
    with archive:
        _check_archive(archive, len(data), limits)
        opf_path = _opf_path(archive, limits)
        if opf_path not in archive.namelist():
            raise UploadRejected("The EPUB is broken: the package (OPF) file container.xml names is missing.")
        package = _xml(_read(archive, opf_path, limits.max_xml), "package (OPF) file")
        metadata = _metadata(package)
        title_page = _fanficfare_title_page(package, posixpath.dirname(opf_path))
        if title_page is not None and title_page in archive.namelist():
            # FanFicFare's OPF lumps fandoms, genres and characters into dc:subject and leaves out
            # the rating; its title page labels each field.
            page = parse_html(_decode_xhtml(_read(archive, title_page, limits.max_xml)))
            metadata = fanficfare.title_page_metadata(page).merged(metadata)
        documents = _spine_documents(package, posixpath.dirname(opf_path))
        if not documents:
            raise UploadRejected("The EPUB's spine lists no chapters.")
        if _encrypted_paths(archive, limits) & {path for path, _ in documents}:
            raise UploadRejected("The EPUB is encrypted (DRM); only DRM-free EPUBs can be read.")
        merged = Extract(metadata=metadata)
        labels = _toc_labels(archive, package, posixpath.dirname(opf_path), limits)
        kinds: set[str] = set()
        budget = limits.max_total_uncompressed
        for path, _idref in documents:
            raw = _read(archive, path, budget)
            budget -= len(raw)
            part = extract_document(parse_html(_decode_xhtml(raw)), work_title=metadata.title or "")
            kinds.add(part.kind)
            if part.kind == "generic" and len(part.chapters) == 1 and part.chapters[0].title is None and labels.get(path):
                # A chapter document without a heading (calibre splits books so): the contents name it.
                part.chapters[0] = dataclasses.replace(part.chapters[0], title=labels[path])
            if part.kind == "ao3":
                # AO3's preface tells its tags apart; its OPF lumps them (rating and "Fanworks" too)
                # into dc:subject.
                merged.metadata = part.metadata.merged(merged.metadata)
            elif part.kind != "generic":
                merged.metadata = merged.metadata.merged(part.metadata)
            merged.front_notes.extend(part.front_notes)
            if not merged.chapters and not part.chapters:
                merged.front_matter.extend(part.front_matter)
            merged.chapters.extend(part.chapters)
            merged.end_notes.extend(part.end_notes)
    if not merged.chapters:
        raise UploadRejected("The EPUB has no story text in its chapters.")
    if "fanficfare" in kinds:
        fanficfare_contents(merged)
    return html_to_text(merged), merged.metadata


def _decode_xhtml(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = raw.decode("utf-16", errors="replace")
        else:
            text = raw.decode("cp1252", errors="replace")
    check_readable(text, what="EPUB chapter")
    return text
