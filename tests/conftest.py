import os

import pytest


def pytest_configure(config):
    # Property tests run a bounded number of examples; CI gets the same profile as developers.
    from hypothesis import settings

    settings.register_profile("default", deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def tmp_templates(tmp_path):
    """A function writing {name: source} into a fresh template folder, returning the folder."""

    def write(files: dict[str, str]):
        for name, source in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(source, encoding="utf-8")
        return tmp_path

    return write
