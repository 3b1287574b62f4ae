"""``[wifi]``: which access point belongs to which branch, which devices and networks to leave
out, and the duration and volume bands Wi-Fi sessions are counted in (docs/wifi.md).

Access points may be named by MAC address (any common notation, normalized) or by any other
identifier the controller logs; each may belong to one branch only.
"""

from __future__ import annotations

from libstats.config.model import Branch, WifiSettings, normalize_mac
from libstats.config.reader import TableReader, increasing_ints


def read_wifi(root: TableReader, branches: tuple[Branch, ...]) -> WifiSettings:
    """``[wifi]`` with ``[wifi.access_points]`` keyed by the branch codes of ``[[branches]]``."""
    w = root.sub("wifi", {})
    codes = {b.code for b in branches}
    aps = w.sub("access_points", {})
    access_points: dict[str, str] = {}
    for code in aps.table:
        if code not in codes:
            raise aps.fail(code, "is not a branch code listed under [[branches]]")
        for ident in aps.str_list(code):
            key = normalize_mac(ident) or ident.strip()
            if not key:
                raise aps.fail(code, "must not hold empty names")
            if access_points.get(key, code) != code:
                raise aps.fail(code, f"an access point is also listed under "
                                     f"'{access_points[key]}'")
            access_points[key] = code
    aps.finish()
    devices = []
    for i, mac in enumerate(w.str_list("library_devices", ())):
        norm = normalize_mac(mac)
        if norm is None:
            raise w.fail("library_devices", f"entry {i + 1} is not a MAC address "
                                            "(aa:bb:cc:dd:ee:ff, AA-BB-.., aabb.ccdd.eeff)")
        devices.append(norm)
    ssids = w.str_list("exclude_ssids", ())
    durations = increasing_ints(w, "duration_bands_minutes", (5, 30, 60, 120))
    volumes = increasing_ints(w, "volume_bands_mb", (10, 100, 1000))
    anomalies = w.get("anomalies", str, "warn")
    if anomalies not in ("warn", "stop"):
        raise w.fail("anomalies", "must be \"warn\" or \"stop\"")
    share = w.get("max_anomaly_share", (int, float), 0.05, what="a number")
    if isinstance(share, bool) or not 0 <= share <= 1:
        raise w.fail("max_anomaly_share", "must be between 0 and 1")
    w.finish()
    return WifiSettings(access_points=access_points, library_devices=tuple(sorted(set(devices))),
                        exclude_ssids=ssids, duration_bands_minutes=durations,
                        volume_bands_mb=volumes, anomalies=anomalies,
                        max_anomaly_share=float(share))
