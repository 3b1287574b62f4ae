"""LibCal's events report (``services/libcal/events-*.csv``) and a meeting-room booking export
(``services/rooms/bookings-*.csv``, generic CSV).

Hazards planted: LibCal's "Children" audience names no single PLS group (the demo config maps
it); an event may list several audiences ("Adults, Seniors": one group; "Teens, Adults": a
general-interest program); virtual events have an online location and no room; outreach
events are held offsite (``[programs] offsite_locations``); some events have no attendance
count; the campus is written as the branch's name; presenters and organizers are named
(Faker). The room bookings name the booker with an example.com email and a 555 phone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from faker import Faker

from libstats.demo.common import BRANCHES
from libstats.demo.services.common import BRANCH_NAMES, fake_phone, open_days, write_csv

EVENT_HEADER = ["Title", "Date", "Start Time", "End Time", "Setup", "Teardown", "Presenter",
                "Campus", "Location", "Online", "Audiences", "Categories",
                "Confirmed Registrations", "Waiting-List Registrations",
                "Cancelled Registrations", "Anticipated Attendance", "Confirmed Attendance",
                "Event Organizer", "Event URL"]
ROOM_HEADER = ["booking_id", "branch", "room", "date", "booked_by", "email", "phone"]
#: (title, audiences, typical attendance, weekly sessions per branch)
SERIES = [("Baby Lapsit", "Babies", 14, 1.0), ("Preschool Storytime", "Preschool", 22, 1.5),
          ("Lego Club", "Children", 16, 0.8), ("Homework Help", "School Age", 9, 0.6),
          ("Teen Gaming", "Teens", 11, 0.7), ("Book Club", "Adults, Seniors", 10, 0.5),
          ("Tech Help", "Adults", 6, 0.8), ("Family Movie", "Families", 35, 0.3),
          ("Author Talk", "Teens, Adults", 28, 0.15)]
OFFSITE = ("Riverside Park", "Farmers Market")


def write_programs(root: Path, rng: np.random.Generator, fake: Faker, start, end,
                   label: str) -> dict:
    r = fake.random
    events, rooms = [], []
    presenters = [fake.name() for _ in range(12)]
    organizers = [fake.name() for _ in range(6)]
    bookers = [(fake.name(), fake.user_name()) for _ in range(60)]
    eid = 0
    for day in open_days(start, end):
        for b in BRANCHES:
            scale = {"CEN": 1.0, "NOR": 0.6, "EAS": 0.4}[b]
            for title, aud, size, weekly in SERIES:
                if rng.random() >= weekly * scale / 6:
                    continue
                eid += 1
                u = rng.random()
                location, online = f"{b} Meeting Room", ""
                if u < 0.12:
                    location, online = "", "https://meet.example.org/riverbend"
                elif u < 0.18:
                    location = OFFSITE[int(rng.integers(0, 2))]
                att = "" if rng.random() < 0.04 else str(int(rng.poisson(size)))
                reg = str(int(rng.poisson(size * 0.8)))
                events.append([title, day.isoformat(), "10:00 AM", "11:00 AM", "", "",
                               presenters[int(rng.integers(0, len(presenters)))],
                               BRANCH_NAMES[b], location, online, aud, "Programs", reg, "0",
                               str(int(rng.integers(0, 3))), str(size), att,
                               organizers[int(rng.integers(0, len(organizers)))],
                               f"https://riverbend.libcal.example.org/event/{eid}"])
            for _ in range(int(rng.poisson(1.4 * scale))):
                name, user = bookers[int(rng.integers(0, len(bookers)))]
                rooms.append([f"B{label[-2:]}{len(rooms) + 1:05d}", b,
                              f"{b} Meeting Room", day.isoformat(), name,
                              f"{user}@example.com", fake_phone(r)])
    write_csv(root / "libcal" / f"events-{label}.csv", EVENT_HEADER, events)
    write_csv(root / "rooms" / f"bookings-{label}.csv", ROOM_HEADER, rooms)
    return {"events": len(events), "bookings": len(rooms)}
