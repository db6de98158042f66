"""The network's public address (``site:`` in network.yaml), which every printed link and QR code
opens: an ``https://`` address that people outside can reach, or nothing yet.

While it is missing or points at this machine (loopback, a private network), printed matter says
:data:`PROOF` instead of a QR code that would open nothing, and the build warns.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

PROOF = "ÉPREUVE — adresse du site à définir"
WARNING = (
    "Attention : l'adresse publique du site (site: dans network.yaml) {why} ; le guide, les "
    "fiches et leurs codes QR portent « ÉPREUVE — adresse du site à définir »."
)


def _local_host(host: str) -> bool:
    if host in ("localhost", "") or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_unspecified


def why_not_public(site: object) -> str | None:
    """Why ``site`` is not a public address, in French, or None when it is one."""
    text = str(site or "").strip()
    if not text:
        return "manque"
    parts = urlsplit(text)
    if parts.scheme != "https":
        return f"n'est pas une adresse https:// (« {text} »)"
    if _local_host((parts.hostname or "").lower()):
        return f"désigne cette machine, pas un site public (« {text} »)"
    return None


def public_site(site: object) -> str | None:
    """The public ``https://`` address without its final slash, or None while there is none.

    >>> public_site("https://reseau.miramas.fr/"), public_site("http://127.0.0.1:8001")
    ('https://reseau.miramas.fr', None)
    """
    if why_not_public(site) is not None:
        return None
    return str(site).strip().rstrip("/")


def site_warning(site: object) -> str | None:
    """The build's warning when printed matter cannot link to a public site, or None."""
    why = why_not_public(site)
    return None if why is None else WARNING.format(why=why)
