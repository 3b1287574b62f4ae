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
- ``libcal_registrations`` (kind ``program_registrations``): a LibCal event registrations
  export, one row per registration. **Reconstructed**: no published column list of
  Springshare's registrations export was found (searches of the documentation and pages
  corpora for "LibCal registrations export CSV columns" gave nothing verifiable), so the
  columns are those a LibCal registration record carries as the events report and LibCal's
  registration form name them: Event ID, Event Title, Event Date, Start Time, Campus,
  Location, Audiences, Categories; the registrant's First Name, Last Name, Email, Phone and
  library card Barcode (the form's standard questions); Registration Date; Status
  (Registered / Waitlist / Cancelled) and Attendance (Attended / Not Attended, blank when not
  taken); Check-In Time. Names, email, phone and barcode are identifiers: ``drop`` (their
  values feed the exact-match scan; email and name only tell duplicate registrations apart
  inside the run). Rules in docs/services.md §3.
- ``csv`` (generic, kind ``programs``): fields ``day``, ``branch``, ``audience``, ``format``
  (onsite / offsite / virtual), ``attendance``, ``event_id`` (to match registrations).
- ``csv`` (generic, kind ``program_registrations``): fields ``event_id``, ``status``,
  ``attended`` and the registrant's ``email`` / ``first_name`` / ``last_name`` (``drop``).
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

LIBCAL_REGISTRATIONS = Profile(
    name="libcal_registrations", kind="program_registrations",
    description="LibCal event registrations export, CSV (reconstructed)",
    columns={
        "Event ID": Column("keep", "event_id", required=True),
        "Status": Column("keep", "status"),
        "Attendance": Column("keep", "attended", required=True),
        "Email": Column("drop", "email"),
        "First Name": Column("drop", "first_name"),
        "Last Name": Column("drop", "last_name"),
        **drop("Phone", "Barcode"),
        **drop_non_personal("Event Title", "Event Date", "Start Time", "Campus", "Location",
                            "Audiences", "Categories", "Registration Date", "Check-In Time"),
    },
)

ROOM_BOOKING_FIELDS = ("day", "branch")

PROGRAM_PROFILES = {p.name: p for p in (LIBCAL_EVENTS, LIBCAL_REGISTRATIONS)}
