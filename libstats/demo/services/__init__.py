"""The demo library's service exports: public computers (Libki), website visits (Matomo, then
GA4), programs (LibCal) and meeting rooms, interlibrary loan (Koha ILL and a lending log).

:func:`generate_services` writes one fiscal year of them under ``raw_dir / "services"``; the
FY2025 demo and the smaller FY2023 both call it (:mod:`libstats.demo.generate`,
:mod:`libstats.demo.earlier`). Volumes are small (a few thousand rows a year)."""

from libstats.demo.services.generate import SERVICES_DIR, generate_services

__all__ = ["SERVICES_DIR", "generate_services"]
