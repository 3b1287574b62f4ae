"""LibCal's events report (``services/libcal/events-*.csv``), its registrations export
(``services/libcal/registrations-*.csv``) and a meeting-room booking export
(``services/rooms/bookings-*.csv``, generic CSV).

Hazards planted: LibCal's "Children" audience names no single PLS group (the demo config maps
it); an event may list several audiences ("Adults, Seniors": one group; "Teens, Adults": a
general-interest program); virtual events have an online location and no room; outreach
events are held offsite (``[programs] offsite_locations``); some events have no attendance
count; the campus is written as the branch's name; presenters and organizers are named
(Faker). The room bookings name the booker with an example.com email and a 555 phone.

Registrations (the series in ``REGISTERED``): each names the registrant (Faker name,
example.com email or none, 555 phone, a patron barcode); some people register twice (the
second time with the email's name part capitalized); waitlisted registrations (a few marked
attended), cancelled ones, blank attendance marks, and sessions whose marks were never taken. Many
registered sessions have no head count in the events report: their attendance comes from
the registrations (docs/services.md §3).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from faker import Faker

from libstats.demo.common import BRANCHES, make_barcode
from libstats.demo.services.common import BRANCH_NAMES, fake_phone, open_days, write_csv

EVENT_HEADER = ["Event ID", "Title", "Date", "Start Time", "End Time", "Setup", "Teardown",
                "Presenter", "Campus", "Location", "Online", "Audiences", "Categories",
                "Confirmed Registrations", "Waiting-List Registrations",
                "Cancelled Registrations", "Anticipated Attendance", "Confirmed Attendance",
                "Event Organizer", "Event URL"]
REG_HEADER = ["Event ID", "Event Title", "Event Date", "Start Time", "Campus", "Location",
              "Audiences", "Categories", "First Name", "Last Name", "Email", "Phone",
              "Barcode", "Registration Date", "Status", "Attendance", "Check-In Time"]
#: The series patrons register for (the others are drop-in).
REGISTERED = ("Baby Lapsit", "Lego Club", "Teen Gaming", "Tech Help", "Author Talk")
ROOM_HEADER = ["booking_id", "branch", "room", "date", "booked_by", "email", "phone"]
#: (title, audiences, typical attendance, weekly sessions per branch)
SERIES = [("Baby Lapsit", "Babies", 14, 1.0), ("Preschool Storytime", "Preschool", 22, 1.5),
          ("Lego Club", "Children", 16, 0.8), ("Homework Help", "School Age", 9, 0.6),
          ("Teen Gaming", "Teens", 11, 0.7), ("Book Club", "Adults, Seniors", 10, 0.5),
          ("Tech Help", "Adults", 6, 0.8), ("Family Movie", "Families", 35, 0.3),
          ("Author Talk", "Teens, Adults", 28, 0.15)]
OFFSITE = ("Riverside Park", "Farmers Market")


def write_programs(root: Path, rng: np.random.Generator, fake: Faker, start, end,
                   label: str, reg_rng: np.random.Generator | None = None,
                   reg_fake: Faker | None = None) -> dict:
    r = fake.random
    events, rooms, regs = [], [], []
    reg_rng = reg_rng or np.random.default_rng(0)
    people = _registrants(reg_fake or fake, reg_rng)
    presenters = [fake.name() for _ in range(12)]
    organizers = [fake.name() for _ in range(6)]
    bookers = [(fake.name(), fake.user_name()) for _ in range(60)]
    eid = int(label[2:]) * 100_000          # LibCal's event ids are unique across years
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
                cancelled = str(int(rng.integers(0, 3)))
                waitlist = "0"
                if title in REGISTERED:
                    if reg_rng.random() < 0.4:
                        att = ""          # the library relies on the registrations' check-in
                    waitlist = str(int(reg_rng.poisson(1.0)))
                    regs += _registrations(reg_rng, people, [
                        str(eid), title, day.isoformat(), "10:00 AM", BRANCH_NAMES[b],
                        location, aud, "Programs"], int(reg), int(waitlist), int(cancelled))
                events.append([str(eid), title, day.isoformat(), "10:00 AM", "11:00 AM", "", "",
                               presenters[int(rng.integers(0, len(presenters)))],
                               BRANCH_NAMES[b], location, online, aud, "Programs", reg,
                               waitlist, cancelled, str(size), att,
                               organizers[int(rng.integers(0, len(organizers)))],
                               f"https://riverbend.libcal.example.org/event/{eid}"])
            for _ in range(int(rng.poisson(1.4 * scale))):
                name, user = bookers[int(rng.integers(0, len(bookers)))]
                rooms.append([f"B{label[-2:]}{len(rooms) + 1:05d}", b,
                              f"{b} Meeting Room", day.isoformat(), name,
                              f"{user}@example.com", fake_phone(r)])
    write_csv(root / "libcal" / f"events-{label}.csv", EVENT_HEADER, events)
    write_csv(root / "libcal" / f"registrations-{label}.csv", REG_HEADER, regs)
    write_csv(root / "rooms" / f"bookings-{label}.csv", ROOM_HEADER, rooms)
    return {"events": len(events), "registrations": len(regs), "bookings": len(rooms)}


def _registrants(fake: Faker, rng: np.random.Generator) -> list[list[str]]:
    """A pool of obviously fake registrants: first, last, email ('' for some), phone,
    barcode."""
    out = []
    for i in range(300):
        first, last = fake.first_name(), fake.last_name()
        email = "" if rng.random() < 0.1 else f"{first}.{last}{i}@example.com".lower()
        out.append([first, last, email, f"(860) 555-01{int(rng.integers(0, 100)):02d}",
                    make_barcode("2", 5000 + i)])
    return out


def _registrations(rng: np.random.Generator, people: list, event: list, registered: int,
                   waitlisted: int, cancelled: int) -> list[list]:
    """One session's registration rows (the hazards of the module docstring)."""
    taken = rng.random() >= 0.1            # were attendance marks taken at all?
    day = event[2]
    rows = []
    for status, n in (("Registered", registered), ("Waitlist", waitlisted),
                      ("Cancelled", cancelled)):
        for _ in range(n):
            person = list(people[int(rng.integers(0, len(people)))])
            u = rng.random()
            if not taken or status == "Cancelled":
                mark = ""
            elif status == "Waitlist":
                mark = "Attended" if u < 0.2 else ""
            else:
                mark = "Attended" if u < 0.8 else ("Not Attended" if u < 0.95 else "")
            checkin = f"{day} 09:5{int(rng.integers(0, 10))}:00" if mark == "Attended" else ""
            made = f"{day} {int(rng.integers(8, 20)):02d}:{int(rng.integers(0, 60)):02d}:00"
            rows.append([*event, *person, made, status, mark, checkin])
            if status == "Registered" and rng.random() < 0.05:    # registered twice
                again = list(person)
                local, _, domain = again[2].partition("@")
                again[2] = f"{local.title()}@{domain}" if domain else ""
                rows.append([*event, *again, made, status, mark, checkin])
    return rows
