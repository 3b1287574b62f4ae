"""The demo library's Wi-Fi networks as a config must describe them, and the logs' fields.

The SSIDs, the access points and controllers of each branch, the library's own devices (which
must not be counted) and every attribute, column and key the three systems' logs carry. The demo
config (``libstats/demo/library.toml``) and the tests compare their values with these.
"""

from __future__ import annotations

from libstats.demo.common import BRANCHES

__all__ = [
    "ACCESS_POINTS", "CEN_AP_MACS", "EAS_AP_MACS", "EAS_SITE_ID", "EXCLUDE_SSIDS",
    "LIBRARY_DEVICES", "LIBRARY_DEVICE_MACS", "MERAKI_CSV_COLUMNS", "MERAKI_JSON_KEYS",
    "NOR_AP_MACS", "NOR_AP_NAMES", "NOR_AP_SERIALS", "PUBLIC_SSID", "RADIUS_ATTRIBUTES",
    "RADIUS_NAS_IDENTIFIER", "RADIUS_NAS_IP", "STAFF_SSID", "UNIFI_KEYS", "WIFI_DIR",
]

WIFI_DIR = "wifi"
PUBLIC_SSID = "RCLS-Public"
STAFF_SSID = "RCLS-Staff"
EXCLUDE_SSIDS = [STAFF_SSID]

RADIUS_NAS_IDENTIFIER = "cen-wlc-01"
RADIUS_NAS_IP = "10.10.0.2"
CEN_AP_MACS = ("00-1A-1E-10-00-01", "00-1A-1E-10-00-02", "00-1A-1E-10-00-03", "00-1A-1E-10-00-04")
NOR_AP_MACS = ("e0:55:3d:20:00:01", "e0:55:3d:20:00:02", "e0:55:3d:20:00:03")
NOR_AP_NAMES = ("NOR-AP-1", "NOR-AP-2", "NOR-AP-3")
NOR_AP_SERIALS = ("Q2NN-0000-0001", "Q2NN-0000-0002", "Q2NN-0000-0003")
EAS_AP_MACS = ("f0:9f:c2:30:00:01", "f0:9f:c2:30:00:02")
EAS_SITE_ID = "64b7f0c2e4b0a1d2c3e4f5a6"

#: ``[wifi.access_points]``: branch -> the NAS / AP identifiers its sessions carry.
ACCESS_POINTS: dict[str, list[str]] = {
    "CEN": [RADIUS_NAS_IDENTIFIER],
    "NOR": list(NOR_AP_MACS),
    "EAS": list(EAS_AP_MACS),
}

#: Library-owned devices (4 public computers + 1 printer per branch), in mixed notations on
#: purpose (the config accepts any notation). Each connects on the public SSID every open day.
LIBRARY_DEVICE_MACS: dict[str, list[str]] = {
    "CEN": ["F8-BC-12-CE-00-01", "f8bc.12ce.0002", "f8:bc:12:ce:00:03", "F8BC12CE0004",
            "3C-D9-2B-CE-00-10"],
    "NOR": ["f8:bc:12:4e:00:01", "F8-BC-12-4E-00-02", "f8bc.124e.0003", "F8-BC-12-4E-00-04",
            "3cd9.2b4e.0010"],
    "EAS": ["f8bc.12ea.0001", "f8:bc:12:ea:00:02", "F8-BC-12-EA-00-03", "f8bc.12ea.0004",
            "3C:D9:2B:EA:00:10"],
}
#: All library devices, flat (``[wifi] library_devices``).
LIBRARY_DEVICES: list[str] = [m for b in BRANCHES for m in LIBRARY_DEVICE_MACS[b]]

#: Every attribute the demo's RADIUS detail files carry (the profile must know each one).
RADIUS_ATTRIBUTES = (
    "Acct-Status-Type", "Acct-Session-Id", "Acct-Multi-Session-Id", "User-Name",
    "NAS-Identifier", "NAS-IP-Address", "NAS-Port", "NAS-Port-Type", "Called-Station-Id",
    "Calling-Station-Id", "Framed-IP-Address", "Acct-Authentic", "Service-Type",
    "Acct-Session-Time", "Acct-Input-Octets", "Acct-Output-Octets", "Acct-Input-Gigawords",
    "Acct-Output-Gigawords", "Acct-Input-Packets", "Acct-Output-Packets", "Acct-Terminate-Cause",
    "Event-Timestamp", "Acct-Delay-Time", "Acct-Unique-Session-Id", "Timestamp")
MERAKI_CSV_COLUMNS = (
    "id", "mac", "description", "ip", "ip6", "user", "firstSeen", "lastSeen", "manufacturer",
    "os", "recentDeviceName", "recentDeviceMac", "recentDeviceSerial", "ssid", "vlan",
    "usage.sent", "usage.recv", "status", "notes")
MERAKI_JSON_KEYS = (
    "id", "mac", "description", "ip", "ip6", "ip6Local", "user", "firstSeen", "lastSeen",
    "manufacturer", "os", "recentDeviceName", "recentDeviceMac", "recentDeviceSerial",
    "recentDeviceConnection", "ssid", "vlan", "usage", "status", "notes")
UNIFI_KEYS = (
    "_id", "mac", "hostname", "name", "ap_mac", "essid", "assoc_time", "disassoc_time",
    "duration", "tx_bytes", "rx_bytes", "ip", "user_id", "site_id", "is_guest", "is_wired",
    "oui", "roam_count", "radio", "channel")

