"""ztc — software for the government-service bus (政务服务直通车)."""
from setuptools import find_packages, setup

setup(
    name="ztc",
    version="0.1.0",
    description="Government-service bus: kiosk, devices, telemetry and headquarters",
    python_requires=">=3.11",
    packages=find_packages(include=["ztc*", "kiosk*", "drivers*", "telemetry*", "hq*", "contract*"]),
    package_data={"ztc.db": ["migrations/*.sql"], "kiosk": ["*.kv", "roles/*/*.kv"]},  # kv: the kiosk screens
    include_package_data=True,
    install_requires=[
        "pydantic>=2.7,<3",  # config validation with exact error locations
        "PyYAML>=6",
        "tzdata",  # Asia/Shanghai even where the OS has no zoneinfo
        "paho-mqtt>=2.1,<3",
        "python-escpos==3.1",  # behaviour checked in DESIGN.md; pin until re-checked
        "pyserial>=3.5",
        "pyusb>=1.2",
        "Pillow>=10",
        "qrcode>=7.4",
        "opencv-python-headless>=4.9",
        "img2pdf>=0.5",
        "gpsdclient>=1.3",  # replaces gpsd-py3, see ARCHITECTURE.md
        "sdnotify>=0.3",
        "fastapi>=0.110",
        "uvicorn>=0.29",
        "argon2-cffi>=23",
        "websockets>=12",  # uvicorn's WebSocket support: the dashboard's live map
        "gtfs-realtime-bindings>=1.0",  # the reference GTFS-realtime protobuf for /gtfs-rt/vehicle-positions
        "reportlab>=4",  # the printable daily report (PDF with built-in Chinese CID font)
        "psycopg[binary]>=3.2,<4",  # headquarters on PostgreSQL (hq.database_url postgresql://…), see hq/pg.py
        "holidays>=0.109",  # China's holidays and 调休 workdays: ztc/workdays.py
        "fastapi-offline>=1.7",  # Swagger UI files for /docs, served from this host, not a CDN (hq/headers.py)
        "zxcvbn>=4.4,<5",  # leaked-password lists and pattern finding for the staff password policy (hq/passwords.py)
    ],
    extras_require={
        "kiosk": [
            "kivy==2.3.1",
            "fonttools>=4.40",  # write the Simplified-Chinese face of the Noto CJK .ttc out for Kivy
        ],
        "dev": ["pytest>=8", "pytest-timeout>=2.3", "hypothesis>=6.100", "ruff>=0.5", "httpx>=0.27",
                "pypdf>=4",  # reads the daily report back in tests (markup must come out as text)
                "import-linter>=2.1",  # make lint: the layers of ARCHITECTURE.md, checked (lint-imports)
                "mypy>=1.10",  # make lint: the contract and the core type-checked
                "types-PyYAML>=6.0"],  # mypy: ztc.settings reads YAML
    },
    entry_points={"console_scripts": ["ztc=ztc.cli:main"]},
)
