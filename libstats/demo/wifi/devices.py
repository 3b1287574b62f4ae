"""The devices on the demo library's Wi-Fi: patrons' phones and laptops, library PCs, staff.

Each branch has a pool of patron devices (:func:`patron_pool`) with a kind, a MAC (the vendor's,
a fixed randomized one or a new randomized one every day), a device name that often holds the
owner's first name and a captive-portal login (card number, e-mail or phone number); plus the
library's public computers and printer and the staff's devices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from faker import Faker

from libstats.demo.common import EXAMPLE_DOMAINS, make_barcode
from libstats.demo.wifi.network import LIBRARY_DEVICE_MACS
from libstats.demo.wifi.notation import letters_only, norm_mac, private_mac, vendor_mac


# device kinds: name, share, vendor OUIs (none has the locally administered bit), manufacturer,
# os (Meraki), oui (UniFi), P(randomized MAC), P(randomized MAC new every day | randomized)
DEVICE_KINDS = (
    ("iphone", 0.36, ("a4:83:e7", "f0:18:98", "3c:22:fb"), "Apple", "iOS", "Apple", 0.85, 0.25),
    ("android", 0.30, ("8c:f5:a3", "5c:49:7d", "28:cf:e9"), "Samsung Electronics Co.,Ltd",
     "Android", "SamsungE", 0.7, 0.35),
    ("windows", 0.14, ("3c:a9:f4", "a4:c3:f0", "d8:3b:bf"), "Intel Corporate", "Windows 10",
     "IntelCor", 0.25, 0.1),
    ("mac", 0.08, ("f0:18:98", "a4:83:e7"), "Apple", "Mac OS X", "Apple", 0.5, 0.2),
    ("ipad", 0.07, ("3c:22:fb", "f0:18:98"), "Apple", "iOS", "Apple", 0.8, 0.2),
    ("chromebook", 0.05, ("3c:28:6d", "d8:3a:dd"), "Google", "Chrome OS", "Google", 0.1, 0.0),
)
DEVICE_KIND_P = np.array([k[1] for k in DEVICE_KINDS]) / sum(k[1] for k in DEVICE_KINDS)
MAC_VENDOR, MAC_FIXED_PRIVATE, MAC_DAILY_PRIVATE = range(3)
POOL_SIZE = {"CEN": 2600, "NOR": 1900, "EAS": 1300}          # patron devices per branch
N_STAFF_DEVICES = {"CEN": 7, "NOR": 5, "EAS": 4}


@dataclass
class Device:
    """A device that joins the Wi-Fi: a patron's, a library computer or printer, or staff's."""

    idx: int
    branch: str
    kind: int                 # index into DEVICE_KINDS; -1 library computer, -2 printer
    mac_mode: int
    mac: str                  # 12 lower hex (the fixed one; daily MACs come from day_mac)
    hostname: str | None      # device name as the device announces it
    alias: str | None         # UniFi alias / nothing
    user: str | None          # captive-portal / 802.1X login (card, e-mail, phone) or None
    staff: bool = False
    library: bool = False

    def day_mac(self, seed: int, day: int) -> str:
        if self.mac_mode == MAC_DAILY_PRIVATE:
            return private_mac(seed, self.branch, self.idx, day)
        return self.mac


def _hostname(r, kind: str, first: str) -> str | None:
    """A device name, most of them with the owner's first name."""
    u = r.random()
    if kind == "iphone":
        forms = (f"{first}s-iPhone", f"{first}'s iPhone", f"iPhone-{first}", "iPhone",
                 f"{first}s-iPhone-2")
        return forms[min(int(u * 6), 4)] if u < 0.92 else None
    if kind == "android":
        if u < 0.3:
            return f"android-{r.getrandbits(64):016x}"
        forms = (f"{first}s-Galaxy-S23", f"{first}'s phone", "Galaxy-A54", f"{first}-Pixel-7",
                 f"{first}s-A15")
        return forms[int((u - 0.3) / 0.7 * 5)] if u < 0.95 else None
    if kind == "windows":
        if u < 0.45:
            return f"DESKTOP-{letters_only(first).upper()[:7]}"
        if u < 0.85:
            return "DESKTOP-" + "".join(r.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
                                        for _ in range(7))
        return f"{first}-Laptop"
    if kind == "mac":
        return (f"{first}s-MacBook-Air", f"{first}s-MBP", "MacBook-Pro")[min(int(u * 3), 2)]
    if kind == "ipad":
        return (f"{first}s-iPad", "iPad", f"{first}'s iPad")[min(int(u * 3), 2)]
    return ("Chromebook", f"{first}s-Chromebook")[int(u < 0.3)]


def _login(r, fake: Faker, first: str) -> str | None:
    """Captive-portal login: card number, e-mail, phone number, or None (MAC authentication)."""
    u = r.random()
    if u < 0.45:
        return make_barcode("2", r.randint(1_000, 99_999_999))
    if u < 0.72:
        last = letters_only(fake.last_name()).lower() or "reader"
        sep = r.choice((".", "_", ""))
        num = r.choice(("", "", str(r.randint(1, 99))))
        return f"{letters_only(first).lower()}{sep}{last}{num}@{r.choice(EXAMPLE_DOMAINS)}"
    if u < 0.86:
        return f"+1860555{r.randint(100, 199):04d}"
    return None


def patron_pool(rng: np.random.Generator, fake: Faker, r, branch: str
                ) -> tuple[list[Device], np.ndarray]:
    """The branch's patron devices and how likely each is to be on a given day (a few regulars
    come most days, most devices a few times a year)."""
    n = POOL_SIZE[branch]
    kinds = rng.choice(len(DEVICE_KINDS), size=n, p=DEVICE_KIND_P)
    u_rand, u_daily = rng.random(n), rng.random(n)
    devices = []
    for i in range(n):
        k = DEVICE_KINDS[kinds[i]]
        first = letters_only(fake.first_name()) or "Alex"
        if u_rand[i] < k[6]:
            mode = MAC_DAILY_PRIVATE if u_daily[i] < k[7] else MAC_FIXED_PRIVATE
            mac = private_mac(branch, i, "fixed")
        else:
            mode, mac = MAC_VENDOR, vendor_mac(r.choice(k[2]), branch, i)
        host = _hostname(r, k[0], first)
        alias = None
        if r.random() < 0.06:
            alias = r.choice((f"{first}'s phone", f"{first} laptop", f"{first}s tablet"))
        devices.append(Device(i, branch, int(kinds[i]), mode, mac, host, alias,
                              _login(r, fake, first)))
    # regulars: a few devices come most days, most devices a few times a year
    w = (np.arange(n) + 6.0) ** -0.9
    w = w[rng.permutation(n)]
    return devices, w / w.sum()


def library_devices(branch: str) -> list[Device]:
    """The branch's four public computers and its printer (fixed vendor MACs, on every day)."""
    out = []
    for j, m in enumerate(LIBRARY_DEVICE_MACS[branch]):
        printer = j == 4
        host = f"{branch}-PRINT-01" if printer else f"{branch}-PC-{j + 1:02d}"
        login = (f"{branch.lower()}-printer-01" if printer
                 else f"{branch.lower()}-pubpc-{j + 1:02d}")
        out.append(Device(10_000 + j, branch, -2 if printer else -1, MAC_VENDOR, norm_mac(m),
                          host, ("Public printer" if printer else f"Public PC {j + 1}"), login,
                          library=True))
    return out


def staff_devices(fake: Faker, r, branch: str) -> list[Device]:
    """The staff's laptops and phones (on the staff SSID, logged in with a work e-mail)."""
    out = []
    for j in range(N_STAFF_DEVICES[branch]):
        first = letters_only(fake.first_name()) or "Sam"
        last = letters_only(fake.last_name()) or "Lee"
        laptop = j % 2 == 0
        kind = 2 if laptop else 0
        host = f"{branch}-STAFF-LT{j + 1:02d}" if laptop else f"{first}s-iPhone"
        mac = vendor_mac(DEVICE_KINDS[kind][2][0], branch, "staff", j)
        out.append(Device(20_000 + j, branch, kind, MAC_VENDOR, mac, host, None,
                          f"{first.lower()}.{last.lower()}@example.org", staff=True))
    return out


