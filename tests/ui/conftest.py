import pytest
from PySide6.QtCore import QSettings


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, qapp):
    """QSettings in a throw-away folder, so tests never touch (or depend on) the user's."""
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    qapp.setOrganizationName("BackpropLabTests")
    qapp.setApplicationName("BackpropLabTests")
    yield
    QSettings().clear()
