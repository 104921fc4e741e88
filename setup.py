"""Ships the repository's queries/ and demo CSVs inside the installed `pipelines` package.

The repository keeps its SQL in queries/ and the demo in data/demo/ (the layout the README
documents), outside any package. setuptools maps a folder to a package only for packages it is
told about, and pyproject.toml finds the code packages automatically, so the two data packages
are added to the build here: a wheel (`pip install .`, pipx) carries them as
pipelines/queries/ and pipelines/demo_data/. A clone, editable install included, reads the
folders where they are (pipelines/settings.py: resource_dir). Everything else about the
package is in pyproject.toml.
"""

from setuptools import setup
from setuptools.command.build_py import build_py

# installed package -> (repository folder, files it ships)
DATA_PACKAGES = {
    "pipelines.queries": ("queries", ["*.sql"]),
    "pipelines.queries.schema": ("queries/schema", ["*.sql"]),
    "pipelines.demo_data": ("data/demo", ["*.csv", "README.md"]),
}


class BuildPyWithData(build_py):
    """build_py that also copies the data packages (sdist and wheel both go through it)."""

    def finalize_options(self) -> None:
        super().finalize_options()
        self.packages = [*(self.packages or []), *DATA_PACKAGES]
        self.package_data = dict(self.package_data or {})
        for package, (folder, patterns) in DATA_PACKAGES.items():
            self.package_dir[package] = folder
            self.package_data[package] = patterns

    def find_package_modules(self, package: str, package_dir: str) -> list[tuple[str, str, str]]:
        # Data only: data/demo/build_demo.py (the generator) stays in the repository.
        if package in DATA_PACKAGES:
            return []
        return super().find_package_modules(package, package_dir)


setup(cmdclass={"build_py": BuildPyWithData})
