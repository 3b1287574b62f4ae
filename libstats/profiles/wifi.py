"""Profiles of Wi-Fi session exports: a role for every field (docs/wifi.md).

The client MAC is the only field written, and only as a token whose key is derived per day
(``token:wifi_device``). Everything naming a person or their device (user names, which on
captive portals are card numbers, e-mails or phone numbers; IP addresses; host and device names;
notes) is dropped. Access-point and controller fields are infrastructure, not people: they are
dropped too (used in the run to find the branch) but their values are not leak-scan targets.
"""

from __future__ import annotations

from libstats.profiles.base import Column, Profile, drop
from libstats.profiles.base import drop_non_personal as _infra
from libstats.profiles.radius_vendors import VSA_COLUMNS

WIFI_FIELDS = ("status", "session_id", "unique_session_id", "device_mac", "nas_id", "nas_ip",
               "ap", "ap_mac", "ap_serial", "ap_name", "ssid", "session_time", "input_octets",
               "output_octets", "input_gigawords", "output_gigawords", "start_ts", "end_ts",
               "duration", "sent_kb", "recv_kb", "tx_bytes", "rx_bytes", "is_wired",
               "connection")


DEVICE = "token:wifi_device"

RADIUS_DETAIL = Profile(
    name="radius_detail", kind="wifi",
    description="FreeRADIUS `detail` accounting file (plain or gzip); fields are attributes",
    columns={
        **VSA_COLUMNS,
        "Acct-Status-Type": Column("keep", "status", required=True),
        "Acct-Session-Id": Column("drop", "session_id"),
        "Acct-Unique-Session-Id": Column("drop", "unique_session_id"),
        "Calling-Station-Id": Column(DEVICE, "device_mac"),
        "NAS-Identifier": Column("drop", "nas_id", identifier=False),
        "NAS-IP-Address": Column("drop", "nas_ip", identifier=False),
        "Called-Station-Id": Column("drop", "ap", identifier=False),
        "Called-Station-SSID": Column("keep", "ssid"),
        "Acct-Session-Time": Column("keep", "session_time"),
        "Acct-Input-Octets": Column("keep", "input_octets"),
        "Acct-Output-Octets": Column("keep", "output_octets"),
        "Acct-Input-Gigawords": Column("keep", "input_gigawords"),
        "Acct-Output-Gigawords": Column("keep", "output_gigawords"),
        **drop("User-Name", "Acct-Multi-Session-Id", "Realm", "Stripped-User-Domain",
                "Tunnel-Password", "Tunnel-Client-Auth-Id", "Tunnel-Server-Auth-Id",
                "Framed-IP-Address", "Framed-IPv6-Address", "Framed-IPv6-Prefix",
                "Delegated-IPv6-Prefix", "Framed-Interface-Id", "Class",
                "Chargeable-User-Identity", "Operator-Name", "Stripped-User-Name",
                "Login-IP-Host", "Callback-Number", "Reply-Message", "Filter-Id"),
        **_infra("NAS-Port", "NAS-Port-Type", "NAS-Port-Id", "NAS-IPv6-Address",
                 "Service-Type", "Framed-Protocol", "Framed-MTU", "Acct-Authentic",
                 "Acct-Delay-Time", "Acct-Terminate-Cause", "Acct-Input-Packets",
                 "Acct-Output-Packets", "Acct-Link-Count", "Acct-Interim-Interval",
                 "Event-Timestamp", "Timestamp", "Connect-Info", "Session-Timeout",
                 "Idle-Timeout", "Termination-Action", "Tunnel-Type", "Tunnel-Medium-Type",
                 "Tunnel-Private-Group-Id", "Tunnel-Client-Endpoint", "Tunnel-Server-Endpoint",
                 "Tunnel-Assignment-Id", "Tunnel-Preference", "Packet-Src-IP-Address",
                 "Packet-Dst-IP-Address", "Packet-Src-IPv6-Address",
                 "Packet-Dst-IPv6-Address", "Packet-Src-Port", "Packet-Dst-Port",
                 "Proxy-State", "Vendor-Specific", "WLAN-Pairwise-Cipher",
                 "WLAN-Group-Cipher", "WLAN-AKM-Suite", "WLAN-Group-Mgmt-Cipher",
                 "WLAN-RF-Band"),
    },
)

_MERAKI = {
    "mac": Column(DEVICE, "device_mac", required=True),
    "firstSeen": Column("generalize:hour", "start_ts", required=True),
    "lastSeen": Column("generalize:hour", "end_ts"),
    "ssid": Column("keep", "ssid"),
    "recentDeviceMac": Column("drop", "ap_mac", identifier=False),
    "recentDeviceSerial": Column("drop", "ap_serial", identifier=False),
    "recentDeviceName": Column("drop", "ap_name", identifier=False),
    **drop("id", "description", "ip", "ip6", "ip6Local", "user", "notes"),
    # "Wireless" or "Wired": a wired client (on a switch port) is not a Wi-Fi session.
    "recentDeviceConnection": Column("drop", "connection", identifier=False),
    **_infra("manufacturer", "os", "deviceTypePrediction", "vlan",
             "namedVlan", "switchport", "status", "smInstalled", "groupPolicy8021x",
             "adaptivePolicyGroup", "pskGroup", "wirelessCapabilities"),
}

MERAKI_CLIENTS = Profile(
    name="meraki_clients", kind="wifi",
    description="Cisco Meraki dashboard client-list CSV export (one list per day)",
    columns={**_MERAKI, "usage.sent": Column("keep", "sent_kb"),
             "usage.recv": Column("keep", "recv_kb")},
)

MERAKI_CLIENTS_JSON = Profile(
    name="meraki_clients_json", kind="wifi", timezone="UTC",
    description="Cisco Meraki API GET /networks/{id}/clients JSON (one pull per day)",
    columns={**_MERAKI, "usage.sent": Column("keep", "sent_kb"),
             "usage.recv": Column("keep", "recv_kb"),
             "usage.total": Column("drop", None, identifier=False)},
)

# The dashboard's Network-wide > Clients "Download as CSV": the same fields under the column
# titles the page shows (reconstructed from the Clients page documentation, see docs/wifi.md;
# a title not listed here stops the run, naming it).
MERAKI_DASHBOARD_CSV = Profile(
    name="meraki_dashboard_csv", kind="wifi",
    description="Cisco Meraki dashboard Clients page CSV download (human-readable headers)",
    columns={
        "MAC address": Column(DEVICE, "device_mac", required=True),
        "First seen": Column("generalize:hour", "start_ts", required=True),
        "Last seen": Column("generalize:hour", "end_ts"),
        "SSID": Column("keep", "ssid"),
        "Sent": Column("keep", "sent_kb"),
        "Received": Column("keep", "recv_kb"),
        "Recent device MAC": Column("drop", "ap_mac", identifier=False),
        "Recent device serial": Column("drop", "ap_serial", identifier=False),
        "Recent device": Column("drop", "ap_name", identifier=False),
        "Connection type": Column("drop", "connection", identifier=False),
        **drop("ID", "Description", "IPv4 address", "IPv6 address",
               "IPv6 address (link-local)", "User", "Notes"),
        **_infra("Status", "Usage", "Manufacturer", "OS", "Device type", "VLAN", "Named VLAN",
                 "Switchport", "Policy", "Group policy", "802.1X group policy",
                 "Adaptive policy group", "PSK group", "Wireless capabilities",
                 "Systems Manager"),
    },
)

UNIFI_SESSIONS = Profile(
    name="unifi_sessions", kind="wifi", timezone="UTC",
    description="Ubiquiti UniFi controller stat/session JSON",
    columns={
        "mac": Column(DEVICE, "device_mac", required=True),
        "assoc_time": Column("generalize:hour", "start_ts", required=True),
        "disassoc_time": Column("generalize:hour", "end_ts"),
        "duration": Column("keep", "duration"),
        "tx_bytes": Column("keep", "tx_bytes"),
        "rx_bytes": Column("keep", "rx_bytes"),
        "essid": Column("keep", "ssid"),
        "is_wired": Column("keep", "is_wired"),
        "ap_mac": Column("drop", "ap_mac", required=True, identifier=False),
        **drop("_id", "hostname", "name", "ip", "user_id", "note"),
        **_infra("site_id", "oui", "network", "is_guest", "roam_count", "radio", "channel", "radio_proto",
                 "tx_rate", "rx_rate", "signal", "rssi", "noise", "satisfaction",
                 "tx_packets", "rx_packets", "qos_policy_applied", "bssid", "vlan",
                 "network_id", "uptime", "last_seen", "first_seen"),
    },
)

WIFI_PROFILES = {p.name: p for p in (RADIUS_DETAIL, MERAKI_CLIENTS, MERAKI_CLIENTS_JSON,
                                     MERAKI_DASHBOARD_CSV, UNIFI_SESSIONS)}
