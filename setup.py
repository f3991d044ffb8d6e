"""Package discovery for the three source trees of the design card.

`symir/`, `dialects/` and `lowering/` are installed as `symir`, `symir.dialects` and
`symir.lowering`; every subpackage of each tree is found by `find_packages`, never listed
by hand (a hand list once shipped a wheel without `symir.compiler.passes`).
"""

from setuptools import find_packages, setup

TREES = {"symir": "symir", "symir.dialects": "dialects", "symir.lowering": "lowering"}

setup(
    package_dir=TREES,
    packages=[
        f"{package}.{sub}" if sub else package
        for package, path in TREES.items()
        for sub in ["", *find_packages(path)]
    ],
)
