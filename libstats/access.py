"""Who may read each zone, set on disk whatever the umask.

- pseudonymized zone (keyed per-patron tokens with event days; staff analysts only, RSMo
  182.817, CGS 11-25(b)(1)): folders 0750 and files 0640 with ``[output] group`` as their group,
  or 0700/0600 (the pipeline's account only) without one;
- published zone: folders 0755, files 0644 (anyone).

A run refuses to write the pseudonymized zone below a folder that others can write (anyone
could swap a folder or plant a link there), and warns when the output folder sits inside a
folder that a sync client copies elsewhere (Dropbox, OneDrive, Google Drive, iCloud).
"""

from __future__ import annotations

import grp
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from libstats.errors import ZoneAccessError


@dataclass(frozen=True)
class Modes:
    dir_mode: int
    file_mode: int
    gid: int = -1            # -1: leave the group as it is

    def apply(self, path: Path) -> None:
        """Set the modes (and group) of ``path`` and, for a folder, of everything below it.
        Symlinks are left alone (their mode means nothing; their target is set on its own)."""
        self.one(path)
        if path.is_dir() and not path.is_symlink():
            for root, dirs, files in os.walk(path):
                for name in dirs + files:
                    self.one(Path(root) / name)

    def one(self, path: Path) -> None:
        if path.is_symlink():
            return
        if self.gid != -1:
            os.chown(path, -1, self.gid)
        os.chmod(path, self.dir_mode if path.is_dir() else self.file_mode)


PUBLISHED = Modes(0o755, 0o644)


def pseudonymized(group: str | None) -> Modes:
    """The pseudonymized zone's modes: 0750/0640 with the group, else 0700/0600."""
    if group is None:
        return Modes(0o700, 0o600)
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        raise ZoneAccessError(f"[output] group '{group}' names no group of this system") \
            from None
    return Modes(0o750, 0o640, gid)


def refuse_writable_by_others(output_dir: Path, zone_root: Path) -> None:
    """Stop when the output folder, or any folder from it down to the zone's root, can be
    written by others (mode o+w), or is a symbolic link."""
    folders = [output_dir]
    for part in zone_root.relative_to(output_dir).parts:
        folders.append(folders[-1] / part)
    for folder in folders:
        try:
            st = folder.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(st.st_mode):
            raise ZoneAccessError(f"{folder} is a symbolic link; the pseudonymized zone is "
                                  "written only into real folders (use the link's target as "
                                  "[output] folder)")
        if st.st_mode & stat.S_IWOTH:
            raise ZoneAccessError(
                f"{folder} can be written by others (mode {stat.S_IMODE(st.st_mode):04o}); the "
                f"pseudonymized zone is not written there. Run `chmod o-w {folder}` or choose "
                "another [output] folder")


#: Names of folders that sync clients create, and files they leave in the folder they sync.
SYNC_FOLDER_NAMES = {"dropbox": "Dropbox", "onedrive": "OneDrive", "google drive": "Google Drive",
                     "my drive": "Google Drive", "googledrive": "Google Drive",
                     "icloud drive": "iCloud Drive", "mobile documents": "iCloud Drive",
                     "cloudstorage": "a cloud storage provider (macOS File Provider)"}
SYNC_MARKERS = {".dropbox": "Dropbox", ".dropbox.cache": "Dropbox",
                ".tmp.drivedownload": "Google Drive", ".tmp.driveupload": "Google Drive",
                ".shortcut-targets-by-id": "Google Drive"}


def synced_by(folder: Path) -> str | None:
    """The sync client whose folder holds ``folder`` (by folder names and marker files of it
    and its parents), or None."""
    folder = Path(folder).absolute()
    for path in (folder, *folder.parents):
        name = path.name.lower()
        if name in SYNC_FOLDER_NAMES:
            return SYNC_FOLDER_NAMES[name]
        if name.startswith("onedrive - ") or name.startswith("dropbox ("):
            return "OneDrive" if name.startswith("onedrive") else "Dropbox"
        for marker, client in SYNC_MARKERS.items():
            try:
                if (path / marker).exists():
                    return client
            except OSError:
                continue
    return None
