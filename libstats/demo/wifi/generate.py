"""Write the demo library's Wi-Fi logs (RADIUS, Meraki, UniFi), deterministically.

:func:`generate_wifi` draws each branch's devices and sessions from a numpy generator of its
own, then writes each system's files from another; all of them and the Faker are seeded from
the demo seed, so the same seed gives byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from faker import Faker

from libstats.demo.common import BRANCHES, DEFAULT_SEED
from libstats.demo.wifi.devices import library_devices, patron_pool, staff_devices
from libstats.demo.wifi.meraki import write_meraki_nor
from libstats.demo.wifi.network import CEN_AP_MACS, EAS_AP_MACS, NOR_AP_MACS, WIFI_DIR
from libstats.demo.wifi.radius import pre_period_visits, write_radius_cen
from libstats.demo.wifi.unifi import write_unifi_eas
from libstats.demo.wifi.visits import Visit, fixed_visits, patron_visits

__all__ = ["generate_wifi"]


def generate_wifi(raw_dir: Path, seed: int = DEFAULT_SEED) -> None:
    """Write the demo's Wi-Fi logs under ``raw_dir / "wifi"`` (byte-identical for a seed)."""
    root = Path(raw_dir) / WIFI_DIR
    fake = Faker("en_US")
    fake.seed_instance(seed + 6)
    r = fake.random
    visits: dict[str, list[Visit]] = {}
    pools = {}
    n_aps = {"CEN": len(CEN_AP_MACS), "NOR": len(NOR_AP_MACS), "EAS": len(EAS_AP_MACS)}
    for bi, branch in enumerate(BRANCHES):
        rng = np.random.default_rng([seed, 0x3F1, bi])
        devices, p = patron_pool(rng, fake, r, branch)
        pools[branch] = (devices, p)
        vs = patron_visits(rng, seed, branch, devices, p, n_aps[branch])
        vs += fixed_visits(rng, library_devices(branch), staff_devices(fake, r, branch),
                           n_aps[branch])
        visits[branch] = vs

    rng = np.random.default_rng([seed, 0x3F1, 10])
    pre = pre_period_visits(rng, seed, *pools["CEN"])
    write_radius_cen(rng, seed, visits["CEN"], pre, root / "radius")
    rng = np.random.default_rng([seed, 0x3F1, 11])
    write_meraki_nor(rng, r, visits["NOR"], root / "meraki")
    rng = np.random.default_rng([seed, 0x3F1, 12])
    write_unifi_eas(rng, seed, visits["EAS"], root / "unifi")
