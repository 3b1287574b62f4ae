"""Profiles of program (event) and meeting-room exports (PLS TOTPRO, TOTATTEN and the
audience and format elements; docs/services.md).

- ``libcal_events``: a LibCal (Springshare) event report exported to CSV, one row per event
  session. Its columns are those the Delaware Division of Libraries' guide "LibCal for LibPas"
  (guides.lib.de.us/libcalforlibpas) names when it turns the export into the state report:
  Title, Date, Start Time, End Time, Setup, Teardown, Presenter, Campus, Location, Audiences,
  Categories, Confirmed Registrations, Waiting-List Registrations, Cancelled Registrations,
  Anticipated Attendance, Confirmed Attendance, Event Organizer, Event URL; plus "Online"
  (the event's online location, when it has one). Presenter and organizer name people and
  are dropped; the title and description are free text and dropped.
- ``csv`` (generic, kind ``programs``): fields ``day``, ``branch``, ``audience``, ``format``
  (onsite / offsite / virtual), ``attendance``.
- ``csv`` (generic, kind ``room_bookings``): fields ``day`` and ``branch``; the booker's
  columns are classified ``drop``.
"""

from __future__ import annotations

from libstats.profiles.base import Column, Profile, drop, drop_non_personal

LIBCAL_EVENTS = Profile(
    name="libcal_events", kind="programs",
    description="LibCal events report, CSV",
    columns={
        "Date": Column("keep", "day", required=True),
        "Campus": Column("keep", "branch", required=True),
        "Audiences": Column("keep", "audience", required=True),
        "Location": Column("keep", "location"),
        "Online": Column("keep", "online"),
        "Confirmed Attendance": Column("keep", "attendance"),
        "Event ID": Column("keep", "event_id"),
        **drop("Presenter", "Event Organizer", "Description"),
        **drop_non_personal("Title", "Start Time", "End Time", "Setup", "Teardown",
                            "Categories", "Confirmed Registrations",
                            "Waiting-List Registrations", "Cancelled Registrations",
                            "Anticipated Attendance", "Event URL"),
    },
)

ROOM_BOOKING_FIELDS = ("day", "branch")

PROGRAM_PROFILES = {p.name: p for p in (LIBCAL_EVENTS,)}
