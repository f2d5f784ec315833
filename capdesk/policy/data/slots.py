"""Slot values and pasted blocks (configs, logs, CLI output) for the request generator.

Every value is drawn from the generator's seeded ``random.Random``, so the same seed
gives the same data set. Real requests paste things: the blocks here are shaped like
what customers paste (capacitor.config.ts, package.json, logcat, CLI output, stack
traces) so that the model learns to look past them.
"""

from __future__ import annotations

import random
from collections.abc import Callable

APP_IDS = [
    "com.acme.shop",
    "io.kasirpintar.pos",
    "id.ojekku.driver",
    "app.travelmate.mobile",
    "com.pinjamin.app",
    "com.northwind.field",
    "io.klinik.sehat",
    "com.sekolahku.ortu",
    "de.stadtwerke.app",
    "com.fitloop.coach",
    "io.warungonline.seller",
    "com.bankjaya.mobile",
    "fr.boulange.fidelite",
    "com.logistix.tracker",
    "id.co.tokoemas.app",
    "com.medirec.patient",
]
COMPANIES = [
    "Acme Retail",
    "Kasir Pintar",
    "Ojekku",
    "TravelMate",
    "Pinjamin",
    "Northwind Field",
    "Klinik Sehat",
    "Sekolahku",
    "Stadtwerke Nord",
    "FitLoop",
    "Warung Online",
    "Bank Jaya",
    "Logistix",
    "Toko Emas Sentosa",
    "MediRec",
]
NAMES_EN = [
    "John",
    "Maria",
    "Luca",
    "Ahmed",
    "Sophie",
    "Tom",
    "Priya",
    "Kenji",
    "Anna",
    "Carlos",
    "Emma",
    "Jonas",
]
NAMES_ID = ["Budi", "Sari", "Dewi", "Agus", "Rina", "Yoga", "Putri", "Andi", "Fajar", "Nia", "Rizky", "Wulan"]
DEVICES = [
    "Pixel 7",
    "Samsung Galaxy A54",
    "iPhone 13",
    "iPhone 15 Pro",
    "Xiaomi Redmi Note 12",
    "Oppo A78",
    "Samsung S23",
    "iPad Air",
    "Vivo Y36",
    "Realme C55",
]
FRAMEWORKS = ["Ionic Angular", "Vue 3", "React", "Nuxt", "SvelteKit", "Quasar", "Ionic React", "Angular 18"]
CHANNELS = ["production", "beta", "staging", "dev", "qa", "internal"]
CI = ["GitHub Actions", "GitLab CI", "Bitbucket Pipelines", "Codemagic", "Bitrise", "Azure DevOps", "Jenkins"]
PLANS = ["Solo", "Maker", "Team", "Enterprise"]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October"]
MONTHS_ID = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
]
DOMAINS = ["acme.test", "kasirpintar.example", "fitloop.example", "northwind.test", "bankjaya.example"]

# Indonesian developers write in two registers, often mixed in one message: formal
# (baku) Indonesian, as in mail to a company or a translated interface ("pembaruan
# tidak terunduh di perangkat"), and casual, keeping the English terms ("update nggak
# ke-download di device"). Each word below is a slot: a request draws one register and
# takes the word from it, or from the other register one time in REGISTER_MIX, so both
# registers meet every scope and neither becomes a sign of one. English requests get
# the English word. Slot: (formal, casual, English).
REGISTER: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "tidak": (("tidak",), ("nggak", "gak", "ga", "enggak"), "not"),
    "perangkat": (("perangkat", "ponsel"), ("device", "HP"), "device"),
    "pembaruan": (("pembaruan", "pembaruan langsung"), ("update", "live update", "update OTA"), "update"),
    "kanal": (("kanal",), ("channel",), "channel"),
    "pengguna": (("pengguna", "pelanggan"), ("user",), "user"),
    "mengunduh": (("mengunduh",), ("download", "ngedownload"), "download"),
    "diunduh": (("diunduh", "terunduh"), ("ke-download", "di-download"), "downloaded"),
    "mengunggah": (("mengunggah",), ("upload",), "upload"),
    "diunggah": (("diunggah",), ("di-upload", "ke-upload"), "uploaded"),
    "terpasang": (("terpasang", "diterapkan"), ("ke-install", "kepasang"), "installed"),
    "sudah": (("sudah", "telah"), ("udah", "sudah"), "already"),
    "bagaimana": (("bagaimana",), ("gimana",), "how"),
    "dasbor": (("dasbor", "konsol"), ("dashboard", "console"), "dashboard"),
    "ingin": (("ingin",), ("mau", "pengen"), "want"),
    "saja": (("saja",), ("aja",), "just"),
}
REGISTER_MIX = 0.2

SLOT_NAMES = frozenset(
    {
        "app",
        "company",
        "name",
        "device",
        "framework",
        "channel",
        "ci",
        "plan",
        "month",
        "ver",
        "ver2",
        "cap",
        "plugin_ver",
        "cli_ver",
        "platform",
        "android",
        "ios",
        "n",
        "m",
        "pct",
        "time",
        "email",
        "amount",
        "day",
        *REGISTER,
    }
)


def _semver(rng: random.Random, majors: tuple[int, ...] = (1, 2, 3, 4, 5)) -> str:
    return f"{rng.choice(majors)}.{rng.randint(0, 40)}.{rng.randint(0, 20)}"


class Slots:
    """One request's slot values: drawn on first use, then the same for the whole request."""

    def __init__(self, rng: random.Random, lang: str) -> None:
        self.rng = rng
        self.lang = lang
        self.values: dict[str, str] = {}
        self._formal: bool | None = None

    def __getitem__(self, key: str) -> str:
        if key not in self.values:
            self.values[key] = self._draw(key)
        return self.values[key]

    def _register_word(self, key: str) -> str:
        formal, casual, english = REGISTER[key]
        if self.lang != "id":
            return english
        if self._formal is None:  # the request's register, drawn at its first register word
            self._formal = self.rng.random() < 0.5
        own, other = (formal, casual) if self._formal else (casual, formal)
        return self.rng.choice(other if self.rng.random() < REGISTER_MIX else own)

    def _draw(self, key: str) -> str:
        if key in REGISTER:
            return self._register_word(key)
        rng, lang = self.rng, self.lang
        simple: dict[str, Callable[[], str]] = {
            "app": lambda: rng.choice(APP_IDS),
            "company": lambda: rng.choice(COMPANIES),
            "name": lambda: rng.choice(NAMES_ID if lang == "id" else NAMES_EN),
            "device": lambda: rng.choice(DEVICES),
            "framework": lambda: rng.choice(FRAMEWORKS),
            "channel": lambda: rng.choice(CHANNELS),
            "ci": lambda: rng.choice(CI),
            "plan": lambda: rng.choice(PLANS),
            "month": lambda: rng.choice(MONTHS_ID if lang == "id" else MONTHS_EN),
            "ver": lambda: _semver(rng),
            "ver2": lambda: _semver(rng),
            "cap": lambda: rng.choice(["5", "6", "7", "8"]),
            "plugin_ver": lambda: _semver(rng, (5, 6, 7, 8)),
            "cli_ver": lambda: _semver(rng, (4, 5, 6, 7, 8)),
            "platform": lambda: rng.choice(
                ["Android", "iOS", "Android and iOS" if lang == "en" else "Android dan iOS"]
            ),
            "android": lambda: f"Android {rng.choice([12, 13, 14, 15])}",
            "ios": lambda: f"iOS {rng.choice(['16.7', '17.4', '17.5', '18.0', '18.1', '18.3'])}",
            "n": lambda: str(rng.randint(2, 95)),
            "m": lambda: str(rng.randint(2, 40)),
            "pct": lambda: str(rng.choice([5, 10, 20, 25, 50])),
            "time": lambda: (
                f"{rng.randint(7, 22):02d}.{rng.choice(['00', '15', '30', '40'])} WIB"
                if lang == "id"
                else f"{rng.randint(0, 23):02d}:{rng.choice(['05', '20', '35', '50'])} UTC"
            ),
            "email": lambda: (
                f"{rng.choice(['dev', 'it', 'mobile', 'admin', 'finance'])}@{rng.choice(DOMAINS)}"
            ),
            "amount": lambda: rng.choice(["EUR 14", "EUR 33", "EUR 83", "EUR 249", "$99", "$300"]),
            "day": lambda: (
                rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"])
                if lang == "en"
                else rng.choice(["Senin", "Selasa", "Rabu", "Kamis", "Jumat"])
            ),
        }
        return simple[key]()


# Pasted blocks. Each takes the request's rng and slots and returns the text pasted.
def config_ts(rng: random.Random, s: Slots) -> str:
    options = [
        f"      autoUpdate: {rng.choice(['true', 'false'])},",
        f"      appReadyTimeout: {rng.choice([1000, 5000, 10000, 30000])},",
        f"      autoDeleteFailed: {rng.choice(['true', 'false'])},",
        f"      autoDeletePrevious: {rng.choice(['true', 'false'])},",
        "      directUpdate: " + rng.choice(["false", "true", "'atInstall'", "'always'"]) + ",",
        f"      resetWhenUpdate: {rng.choice(['true', 'false'])},",
        f"      periodCheckDelay: {rng.choice([0, 600, 3600])},",
        f"      defaultChannel: '{s['channel']}',",
        "      publicKey: '-----BEGIN RSA PUBLIC KEY-----\\nMIIBCgKCAQEA...',",
    ]
    chosen = rng.sample(options, rng.randint(2, 6))
    return "\n".join(
        [
            "```ts",
            "import type { CapacitorConfig } from '@capacitor/cli';",
            "",
            "const config: CapacitorConfig = {",
            f"  appId: '{s['app']}',",
            f"  appName: '{s['company']}',",
            f"  webDir: '{rng.choice(['dist', 'www', 'build', 'dist/browser', '.output/public'])}',",
            "  plugins: {",
            "    CapacitorUpdater: {",
            *chosen,
            "    },",
            "  },",
            "};",
            "",
            "export default config;",
            "```",
        ]
    )


def package_json(rng: random.Random, s: Slots) -> str:
    deps = [
        f'    "@capacitor/core": "^{s["cap"]}.{rng.randint(0, 4)}.{rng.randint(0, 9)}",',
        f'    "@capacitor/android": "^{s["cap"]}.{rng.randint(0, 4)}.0",',
        f'    "@capacitor/ios": "^{s["cap"]}.{rng.randint(0, 4)}.0",',
        f'    "@capgo/capacitor-updater": "^{s["plugin_ver"]}",',
        f'    "@capgo/cli": "^{s["cli_ver"]}",',
        rng.choice(
            [
                '    "@angular/core": "^18.2.0",',
                '    "vue": "^3.4.21",',
                '    "react": "^18.3.1",',
                '    "@ionic/angular": "^8.2.0",',
            ]
        ),
        rng.choice(
            [
                '    "@capacitor-firebase/messaging": "^6.1.0",',
                '    "onesignal-cordova-plugin": "^5.2.0",',
                '    "@capacitor/camera": "^6.0.1",',
            ]
        ),
    ]
    rng.shuffle(deps)
    return 'package.json:\n```json\n{\n  "dependencies": {\n' + "\n".join(deps) + "\n  }\n}\n```"


def doctor(rng: random.Random, s: Slots) -> str:
    return "\n".join(
        [
            "$ npx @capgo/cli doctor",
            "●   💊   Capgo Doctor  💊",
            f"●   App ID: {s['app']}",
            f"●   App Version: {s['ver']}",
            "●   Web Dir: dist",
            f"●   Node: v{rng.choice([18, 20, 22])}.{rng.randint(1, 19)}.0",
            "●   Installed Dependencies:",
            f"●     @capgo/cli: {s['cli_ver']}",
            f"●     @capgo/capacitor-updater: {s['plugin_ver']}",
            rng.choice(
                ["◆  ✅ All dependencies are up to date", "▲  🚨 Some dependencies are not up to date"]
            ),
        ]
    )


def logcat_updater(rng: random.Random, s: Slots) -> str:
    lines = [
        f"I/Capacitor-updater: Current bundle is: {s['ver']}",
        "I/Capacitor-updater: Check for update via: https://plugin.capgo.app/updates",
        f"I/Capacitor-updater: New bundle: {s['ver2']} found. Current is: {s['ver']}",
        "I/Capacitor-updater: Downloading bundle...",
        "I/Capacitor-updater: Stats sent for download_complete",
        rng.choice(
            [
                "E/Capacitor-updater: notifyAppReady was not called, roll back current bundle",
                "W/Capacitor-updater: Bundle is not ready, skipping set",
                "E/Capacitor-updater: Error checksum 'a1b2c3d4' 'e07353...' ''",
                "I/Capacitor-updater: No new version available",
                "E/Capacitor-updater: decrypt_fail Decryption failed: Invalid session key",
            ]
        ),
    ]
    cut = rng.randint(3, len(lines))
    return "logcat:\n```\n" + "\n".join(lines[-cut:]) + "\n```"


def xcode_updater(rng: random.Random, s: Slots) -> str:
    return "\n".join(
        [
            "Xcode console:",
            f"⚡️  [log] - ✨  Capacitor-updater: Current bundle is {s['ver']}",
            "⚡️  [log] - ✨  Capacitor-updater: Checking for update...",
            rng.choice(
                [
                    "⚡️  [error] - ✨  Capacitor-updater: Error downloading: The request timed out.",
                    "⚡️  [warn] - ✨  Capacitor-updater: Reset to builtin version",
                    f"⚡️  [log] - ✨  Capacitor-updater: Bundle {s['ver2']} set as next",
                ]
            ),
        ]
    )


def cli_upload(rng: random.Random, s: Slots) -> str:
    tail = rng.choice(
        [
            ["■  uploadBundle failed: Edge Function returned a non-2xx status code"],
            ["■  Error: Invalid API key or insufficient permissions", "■  uploadBundle failed: 401"],
            [
                "▲  Failed to upload bundle ( after 110.53 seconds)",
                "■  Cannot upload bundle please contact support if the issue persists unknown error",
            ],
            ["■  This app bundle already exist or was deleted, you cannot re-upload it"],
            [
                f"✔  Bundle uploaded 💪 in {rng.randint(3, 40)} seconds",
                f"●  Link device to this bundle to try it: {s['channel']}",
            ],
        ]
    )
    return "\n".join(
        [
            f"$ npx @capgo/cli@latest bundle upload --channel {s['channel']}",
            f"┌  Uploading with CLI version {s['cli_ver']}",
            f'●  Upload {s["app"]}@{s["ver"]} started from path "dist" to Capgo cloud',
            *tail,
        ]
    )


def js_stack(rng: random.Random, s: Slots) -> str:
    err = rng.choice(
        [
            "TypeError: Cannot read properties of undefined (reading 'map')",
            "TypeError: Cannot read properties of null (reading 'addEventListener')",
            "ReferenceError: process is not defined",
            "Error: NG0200: Circular dependency in DI detected for AuthService",
            "Unhandled Promise Rejection: Error: Network Error",
            "RangeError: Maximum call stack size exceeded",
        ]
    )
    frames = [
        f"    at {rng.choice(['ProductList', 'CheckoutPage', 'useCart', 'AuthService.login', 'CameraPage.ngOnInit', 'renderRow'])} "
        f"(http://localhost/{rng.choice(['main', 'chunk-4XK2', 'vendor', 'app'])}.{rng.randint(100, 999)}.js:{rng.randint(1, 9)}:{rng.randint(100, 99999)})"
        for _ in range(rng.randint(2, 5))
    ]
    return "```\n" + "\n".join([err, *frames]) + "\n```"


def gradle_error(rng: random.Random, s: Slots) -> str:
    return "\n".join(
        [
            "```",
            "> Task :app:checkDebugDuplicateClasses FAILED",
            "FAILURE: Build failed with an exception.",
            rng.choice(
                [
                    "* What went wrong: Duplicate class kotlin.collections.jdk8.CollectionsJDK8Kt found in modules kotlin-stdlib-1.8.22",
                    "* What went wrong: Could not resolve com.google.firebase:firebase-messaging:23.+",
                    "* What went wrong: Execution failed for task ':app:mergeDebugResources'. Resource compilation failed",
                    "* What went wrong: Namespace not specified. Specify a namespace in the module's build file.",
                ]
            ),
            "BUILD FAILED in 41s",
            "```",
        ]
    )


def xcode_error(rng: random.Random, s: Slots) -> str:
    return rng.choice(
        [
            "error: Command PhaseScriptExecution failed with a nonzero exit code",
            "ld: framework not found FirebaseCore\nclang: error: linker command failed with exit code 1",
            "Thread 1: EXC_BAD_ACCESS (code=1, address=0x0) in AppDelegate.swift:42",
            '[!] CocoaPods could not find compatible versions for pod "GoogleUtilities/Environment"',
        ]
    )


def curl_outage(rng: random.Random, s: Slots) -> str:
    return "\n".join(
        [
            f"$ curl -i https://api.capgo.app/{rng.choice(['app', 'organization', 'bundle', 'channel'])} -H 'x-api-key: ***'",
            rng.choice(
                [
                    "HTTP/2 502",
                    "HTTP/2 503",
                    "HTTP/2 504",
                    "HTTP/2 500",
                    "curl: (28) Operation timed out after 30001 milliseconds",
                ]
            ),
            rng.choice(
                [
                    "<html><head><title>502 Bad Gateway</title></head>",
                    '{"error":"internal_error","status":"KO"}',
                    "error code: 522",
                    "",
                ]
            ),
        ]
    ).rstrip()


def selfhost_log(rng: random.Random, s: Slots) -> str:
    return "\n".join(
        [
            "```",
            rng.choice(
                [
                    "supabase_edge_runtime | error: Uncaught (in promise) Error: SUPABASE_URL is not defined",
                    "capgo-web  | Uncaught (in promise) TypeError: Promise.withResolvers is not a function",
                    "kong       | [error] 502 upstream timed out while connecting to upstream (functions:9000)",
                    'cron      | ERROR: relation "public.app_versions_meta" does not exist',
                ]
            ),
            f"docker compose ps -> {rng.randint(6, 12)} services, {rng.randint(1, 3)} restarting",
            "```",
        ]
    )


def invoice_line(rng: random.Random, s: Slots) -> str:
    return (
        f"Invoice {rng.choice(['INV', 'CAP'])}-{rng.randint(2025, 2026)}-{rng.randint(1000, 9999)} · "
        f"{s['plan']} plan · {s['amount']} · {rng.choice(['paid', 'open', 'payment failed', 'paid (x2)'])}"
    )


def api_401(rng: random.Random, s: Slots) -> str:
    return "\n".join(
        [
            f"$ curl https://api.capgo.app/app?org_id={rng.randint(10, 99)}ab-... -H 'x-api-key: ak_***'",
            rng.choice(
                [
                    '{"error":"invalid_apikey","status":"KO"}',
                    '{"error":"no_permission","status":"KO"}',
                    '{"error":"app_not_found","status":"KO"}',
                ]
            ),
        ]
    )


Block = Callable[[random.Random, Slots], str]
