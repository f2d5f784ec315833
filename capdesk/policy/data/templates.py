"""Request templates per scope id, English and Indonesian, for the generator.

Syntax inside a template: ``{slot}`` is a slot of ``slots.Slots`` (the same value
throughout one request) and ``[[a|b|c]]`` picks one alternative. Each scope has
subjects, core paragraphs (the ask) and the pasted blocks that fit it. The hand-written
sets (``handwritten.jsonl``, ``heldout.jsonl``) are written independently of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from capdesk.policy.data import slots as b


@dataclass(frozen=True)
class ScopeTemplates:
    """What one scope's generated requests are made of, per language."""

    subjects: dict[str, list[str]]
    cores: dict[str, list[str]]
    blocks: list[b.Block] = field(default_factory=list)


TEMPLATES: dict[str, ScopeTemplates] = {
    "setup.live_updates": ScopeTemplates(
        subjects={
            "en": [
                "Setting up live updates",
                "How to get started with Capgo",
                "First upload?",
                "[[Onboarding|Setup]] help for {app}",
                "Migrating from [[Appflow|CodePush]] to Capgo",
                "CI upload setup",
                "Encryption setup",
            ],
            "id": [
                "Setup live update",
                "Cara mulai pakai Capgo",
                "Bantuan onboarding {app}",
                "Pindah dari [[Appflow|CodePush]] ke Capgo",
                "Setting upload dari CI",
            ],
        },
        cores={
            "en": [
                "We're integrating Capgo into our {framework} app ({app}) and want to set up live updates for the first time. I ran `npx @capgo/cli@latest init` but [[I'm not sure what to do after it asks for the API key|the onboarding stopped after the key step]]. [[Can you walk me through the first upload?|What's the minimum setup to get a first bundle onto a device?]]",
                "Just installed @capgo/capacitor-updater {plugin_ver} and ran `npx cap sync`. How do I make the app check for updates on start? [[Do I need to call notifyAppReady() myself or does autoUpdate handle it?|Where exactly should notifyAppReady() go in a {framework} app?]]",
                "We're moving from [[Ionic Appflow|CodePush|our own zip server]] to Capgo. What are the steps to set up live updates so our existing installs start getting bundles from Capgo? [[Do we need a new store release first?|Can both run side by side during the switch?]]",
                "I'm setting up {ci} to upload a bundle on every merge to main. Which API key mode do I need, and what is the right command? Right now `npx @capgo/cli bundle upload --channel {channel}` asks me to log in.",
                "First time setting up Capgo. I created the app in the console, added the plugin, built and installed it on a {device}, but the device never shows up in the Devices tab. Is there a setup step I'm missing?",
                "We'd like to enable end-to-end encryption for our live updates while we set things up. We generated keys with `npx @capgo/cli key create`, but where does the public key go and what do we pass on upload?",
                "We want to start using live updates in our Capacitor {cap} app. Is there a step-by-step guide for setting up the updater plugin on [[both iOS and Android|iOS|Android]]? [[We have never used OTA updates before.|Our team is new to this.]]",
                "Could you help us set up our channels during the initial integration? Testers should get a beta channel, everybody else production, and we haven't uploaded anything yet.",
                "How do I connect the updater to my Capgo app the first time? I added the plugin but I don't know if I need an appId in capacitor.config or a key from the dashboard.",
            ],
            "id": [
                "Kami baru mau pasang live update Capgo di aplikasi {app}. Sudah jalanin `npx @capgo/cli@latest init` tapi [[bingung langkah selanjutnya setelah masukin API key|berhenti di langkah API key]]. Mohon panduan untuk upload bundle pertama.",
                "Gimana cara setting awal capacitor-updater supaya aplikasi otomatis cek update waktu dibuka? [[Perlu panggil notifyAppReady() sendiri atau nggak?|notifyAppReady() ditaruh di mana di aplikasi {framework}?]]",
                "Kami mau pindah dari [[Appflow|CodePush|server zip sendiri]] ke Capgo. Langkah-langkah setup live update-nya apa aja ya? [[Harus rilis ulang ke Play Store dulu?|Bisa jalan berdampingan dulu?]]",
                "Mau setup upload bundle otomatis dari {ci} tiap merge ke main. API key yang dipakai mode apa ya, perintahnya gimana? Sekarang `bundle upload` minta login terus.",
                "Saya pertama kali pakai Capgo. Plugin sudah diinstall dan aplikasi sudah di-build ke {device}, tapi device-nya nggak muncul di dashboard. Ada langkah setup yang kelewat?",
                "Mohon bantuan setup enkripsi end-to-end untuk live update. Kunci sudah dibuat pakai `npx @capgo/cli key create`, public key-nya ditaruh di mana?",
                "Kami mau mulai pakai live update di aplikasi Capacitor {cap}. Ada panduan langkah demi langkah untuk pasang plugin updater di [[iOS dan Android|Android]]?",
            ],
        },
        blocks=[b.config_ts, b.package_json, b.cli_upload],
    ),
    "setup.app_config": ScopeTemplates(
        subjects={
            "en": [
                "Best practice for updater config",
                "Recommended capacitor.config settings",
                "Versioning strategy question",
                "directUpdate or not?",
                "One app or several per environment?",
                "Config review please",
            ],
            "id": [
                "Best practice konfigurasi updater",
                "Saran setting capacitor.config",
                "Strategi versi bundle",
                "directUpdate sebaiknya gimana?",
            ],
        },
        cores={
            "en": [
                "What's the recommended updater config for production? We have appReadyTimeout at {n}000 and autoDeleteFailed on. [[Is that sane?|Anything you'd change?]] Our config is below.",
                "Best practice question: should we use one app id per environment (staging / production) or one app with several channels? [[What do most teams do?|Which is easier to manage with {ci}?]]",
                "How should we version bundles versus native builds? We bump package.json on every web deploy but the native version stays at {ver}. Is there a recommended scheme so that min-update-version keeps working?",
                "Should we set directUpdate to true or keep the default? Users say the new version only shows on the second launch. What do you recommend for a [[banking|health|payments]] app where a half-applied update is a risk?",
                "We want to stop sending web bundles to users on old native versions. What's the recommended configuration: `--min-update-version`, a channel per native version, or version targeting?",
                "What periodCheckDelay and resetWhenUpdate values do you recommend? We want to avoid hammering the API and make sure a store update resets to the built-in bundle.",
                "Is it better to keep the encryption public key in capacitor.config.ts or inject it at build time? Looking for the recommended way to handle keys in a monorepo with {m} apps.",
                "What's the recommended way to configure the updater for an app that also uses server.url for live reload in development? I don't want dev settings leaking into production builds.",
                "Could you review our updater configuration? We're not sure autoDeletePrevious and defaultChannel are set the way you'd recommend.",
            ],
            "id": [
                "Konfigurasi updater yang disarankan untuk production seperti apa ya? appReadyTimeout kami {n}000, autoDeleteFailed true. [[Sudah benar belum?|Ada yang perlu diubah?]]",
                "Lebih baik satu app id per environment (staging/prod) atau satu app dengan beberapa channel? Mohon sarannya.",
                "Gimana best practice penomoran versi bundle vs versi native? Versi package.json kami naik tiap deploy web, versi native tetap {ver}.",
                "directUpdate sebaiknya true atau biarkan default? User bilang update baru muncul di pembukaan kedua. Untuk aplikasi [[keuangan|kesehatan]] mana yang lebih aman?",
                "Nilai periodCheckDelay dan resetWhenUpdate yang direkomendasikan berapa ya? Biar nggak terlalu sering cek ke server.",
                "Public key enkripsi sebaiknya disimpan di capacitor.config.ts atau di-inject waktu build? Kami punya {m} aplikasi dalam satu monorepo.",
                "Tolong review konfigurasi updater kami, apakah autoDeletePrevious dan defaultChannel sudah sesuai rekomendasi?",
            ],
        },
        blocks=[b.config_ts, b.config_ts, b.package_json],
    ),
    "setup.stack": ScopeTemplates(
        subjects={
            "en": [
                "Capacitor {cap} support?",
                "General question about Capgo",
                "How do live updates work?",
                "Data location question",
                "App Store rules and OTA",
                "Capgo vs Capgo Build",
                "Delta updates",
            ],
            "id": [
                "Dukungan Capacitor {cap}?",
                "Pertanyaan umum soal Capgo",
                "Cara kerja live update",
                "Lokasi data Capgo",
            ],
        },
        cores={
            "en": [
                "Does Capgo support Capacitor {cap}? We're planning the upgrade [[next quarter|this month]] and need to know which major of the updater goes with it.",
                "General question: how do live updates work under the hood? Is the bundle downloaded in the background and applied on the next start? And what happens to the app if Capgo can't be reached?",
                "Where are bundles and device statistics stored, EU or US? Our [[security team|DPO|CTO]] wants to know before we sign.",
                "Is using Capgo compliant with the App Store and Play Store rules on code push? [[Legal wants a statement before we ship.|We don't want the app rejected.]]",
                "What's the difference between Capgo cloud, Capgo Build and the updater plugin? Do we need all three or just the plugin?",
                "Does Capgo work with [[an Nx monorepo|a Quasar build|a Nuxt static build|Vite]]? Our web dir isn't 'dist' and we build several apps from one repo.",
                "Are delta (partial) updates supported, and how big is a typical download compared with the full zip?",
                "Which minimum Android and iOS versions does the updater plugin support? We still have users on {android}.",
                "Can Capgo update native code too, or only the web layer? Just trying to understand what needs a store release and what doesn't.",
            ],
            "id": [
                "Apakah Capgo sudah mendukung Capacitor {cap}? Kami mau upgrade dan perlu tahu versi updater yang cocok.",
                "Mau tanya umum, live update Capgo cara kerjanya gimana? Bundle di-download di background lalu dipasang waktu aplikasi dibuka lagi? Kalau server Capgo nggak bisa diakses gimana?",
                "Data bundle dan statistik device disimpan di mana ya, EU atau US?",
                "Apakah live update Capgo aman dari sisi aturan App Store dan Play Store?",
                "Bedanya Capgo Cloud, Capgo Build dan plugin updater apa ya? Harus pakai semuanya?",
                "Capgo bisa update kode native juga atau cuma bagian web? Biar tahu kapan harus rilis ke store.",
                "Versi Android dan iOS minimum yang didukung plugin updater berapa ya? Masih ada user kami di {android}.",
            ],
        },
        blocks=[b.package_json, b.doctor],
    ),
    "fix.known_issue": ScopeTemplates(
        subjects={
            "en": [
                "Known issue? rollback after update",
                "checksum_fail on Android",
                "Android 14 update never applied",
                "Is this the known bug?",
                "Workaround for {cli_ver} upload error",
                "App reverts to builtin on iOS",
            ],
            "id": [
                "Known issue rollback ke builtin",
                "checksum_fail di Android",
                "Update nggak terpasang di Android 14",
                "Ada workaround?",
            ],
        },
        cores={
            "en": [
                "After updating to @capgo/capacitor-updater {plugin_ver} the app rolls back to builtin after every update, log says `notifyAppReady was not called, roll back current bundle`. [[I think this is the known issue from the changelog?|I saw the same thing in a GitHub issue.]] Is there a workaround?",
                "Getting `checksum_fail` on Android since CLI {cli_ver} for manual-mode downloads. I found an issue about the new checksum vs the old crc. Is there a fix or a workaround we can apply now?",
                "Known bug? On {android} updates download but are never applied after a restart, the BroadcastReceiver never fires. We're on Capacitor {cap}. [[Is there a patched version?|Which version fixes it?]]",
                "Is the issue where the app goes blank on first start after a Play Store install with directUpdate 'atInstall' fixed? We hit exactly that. What's the recommended workaround?",
                "Since {ios} our app reverts to the built-in bundle a few seconds after a successful set(). Is this the known iOS problem? Any workaround until the fix ships?",
                "`uploadBundle failed: Edge Function returned a non-2xx status code`. I read this is a known problem with uploads; is `--tus` the workaround or is there something else?",
                "We need to kill the app to get the second update, which I believe is a documented limitation of the older plugin. Is upgrading the fix or is there a setting?",
                "`This app bundle already exist or was deleted, you cannot re-upload it` when CI re-runs a job. Is that expected and what's the usual workaround?",
                "The updater downloads the same bundle several times in a row on Android (2 to 5 times). Looks like an existing bug report. Is there a fixed release?",
            ],
            "id": [
                "Setelah update ke capacitor-updater {plugin_ver} aplikasi selalu rollback ke builtin, di log ada `notifyAppReady was not called`. Ini bug yang sudah diketahui ya? Ada workaround?",
                "Muncul `checksum_fail` di Android sejak CLI {cli_ver}. Katanya ini known issue, solusinya apa ya?",
                "Di {android} update sudah ke-download tapi nggak pernah terpasang setelah restart. Ini bug yang sama kayak di GitHub issue kan? Ada solusi sementara?",
                "Error `Edge Function returned a non-2xx status code` waktu upload. Katanya sudah known issue, workaround-nya pakai --tus?",
                "Di {ios} aplikasi balik lagi ke bundle bawaan setelah set() berhasil. Apakah ini masalah iOS yang sudah diketahui? Ada workaround?",
                "Harus kill aplikasi dua kali baru dapat update kedua. Setahu saya ini keterbatasan plugin versi lama, solusinya upgrade?",
            ],
        },
        blocks=[b.logcat_updater, b.xcode_updater, b.cli_upload, b.doctor],
    ),
    "fix.how_to": ScopeTemplates(
        subjects={
            "en": [
                "How do I roll back?",
                "How to force a device to a channel",
                "Where are the CLI docs?",
                "How to delete old bundles",
                "Question: setChannel",
                "How to show the bundle version",
                "Progressive rollout how-to",
            ],
            "id": [
                "Cara rollback bundle",
                "Cara paksa device ke channel beta",
                "Dokumentasi CLI di mana?",
                "Cara hapus bundle lama",
            ],
        },
        cores={
            "en": [
                "How do I roll back the {channel} channel to the previous bundle from the console? Bundle {ver} has a bug and we need the old one back [[now|quickly]].",
                "How can I put one specific device on the beta channel for testing? Is there a device override in the dashboard or is it an API call?",
                "Where in the docs is the list of flags for `bundle upload`? I'm looking for how to set the bundle version explicitly instead of reading package.json.",
                "How do I delete old bundles to free up storage? Is there a CLI command for cleaning up everything older than {n} versions?",
                "How do I let users opt into the beta channel from inside the app? Is setChannel the right call and does it need a channel setting in the console?",
                "How do I read the current bundle version in JavaScript so we can show it on the About screen?",
                "Is there a way to delay an update until the app goes to the background? What's the API for that?",
                "How do I set up a progressive rollout to {pct}% of devices for bundle {ver}?",
                "How do I upload a bundle for a specific app id when I have several apps in one repo? Is there a flag for that?",
                "What's the command to list the bundles of {app} and see which channel each is on?",
            ],
            "id": [
                "Cara rollback channel {channel} ke bundle sebelumnya dari dashboard gimana? Bundle {ver} ada bug.",
                "Gimana caranya maksa satu device tertentu ke channel beta buat testing?",
                "Dokumentasi daftar opsi `bundle upload` ada di mana ya? Mau set versi bundle manual.",
                "Cara hapus bundle lama biar storage nggak penuh gimana? Ada perintah CLI-nya?",
                "Gimana cara nampilin versi bundle yang aktif di halaman About aplikasi?",
                "Cara bikin rollout bertahap {pct}% untuk bundle {ver} gimana ya?",
                "Perintah untuk lihat daftar bundle {app} dan channel-nya apa ya?",
            ],
        },
        blocks=[b.cli_upload],
    ),
    "fix.live_updates": ScopeTemplates(
        subjects={
            "en": [
                "Devices not receiving update",
                "Rollout percentage ignored",
                "Update downloaded but not applied",
                "decrypt_fail after key rotation",
                "Beta channel serves production bundle",
                "Wrong version reported",
                "No new version available??",
            ],
            "id": [
                "Device nggak dapat update",
                "Rollout bertahap nggak jalan",
                "Update ke-download tapi nggak terpasang",
                "decrypt_fail setelah ganti key",
            ],
        },
        cores={
            "en": [
                "Devices on the {channel} channel are not receiving bundle {ver}. The console has shown it as the channel's bundle since [[yesterday|this morning]], but stats show 0 downloads. [[Nothing changed in our code.|The previous bundle went out fine.]]",
                "We set a progressive rollout to {pct}% but it looks like every device got the update within an hour.",
                "The update downloads (we see download_complete in the stats) but the app keeps running the old bundle on {platform}, even after a restart.",
                "Encrypted bundles fail on devices with `decrypt_fail` since we rotated the key, although we uploaded with the new key.",
                "The beta channel is delivering the production bundle to our testers, the device override doesn't seem to be respected.",
                "Delta updates always fall back to downloading the full zip; it looks like the manifest is ignored.",
                "A device shows version {ver} in the Devices list but the app actually runs {ver2}.",
                "The updater says 'No new version available' although we just uploaded {ver} to {channel} and the device is on that channel.",
                "Since bundle {ver} was set on {channel} roughly half of our users are stuck on {ver2}, the rest updated fine. Same native version for everyone.",
            ],
            "id": [
                "Device di channel {channel} nggak dapat bundle {ver}. Di dashboard sudah jadi bundle channel sejak [[kemarin|tadi pagi]], tapi statistik download 0. Kode kami nggak berubah.",
                "Rollout bertahap di-set {pct}% tapi kok semua device dapat update?",
                "Update sudah ke-download (ada download_complete di statistik) tapi aplikasi tetap jalan di bundle lama di {platform}.",
                "Setelah ganti key enkripsi, device dapat error `decrypt_fail` padahal upload sudah pakai key baru.",
                "Updater bilang 'No new version available' padahal barusan upload {ver} ke channel {channel}.",
                "Channel beta malah ngirim bundle production ke tester kami.",
            ],
        },
        blocks=[b.logcat_updater, b.xcode_updater, b.config_ts, b.doctor],
    ),
    "fix.app_management": ScopeTemplates(
        subjects={
            "en": [
                "Invited member can't see app",
                "API key returns 401",
                "Can't delete app",
                "Webhook not firing",
                "Role change not applied",
                "Transfer app to other org",
                "Members page error",
            ],
            "id": [
                "Anggota yang diundang nggak bisa lihat app",
                "API key 401",
                "Nggak bisa hapus aplikasi",
                "Webhook nggak jalan",
            ],
        },
        cores={
            "en": [
                "I invited a colleague as app_developer on {app}, they accepted, but they still can't see the app in the console.",
                "An API key created in the console returns 401 `invalid_apikey` with the CLI, even a brand new key in 'all' mode.",
                "I can't delete an app from the console: the delete button spins forever and the app stays in the list.",
                "Our webhook for app_versions INSERT never reaches our endpoint, although the test delivery from the console works.",
                "Changing a member's role from upload to admin doesn't take effect; they still get 'permission denied' when creating a channel.",
                "I want to transfer {app} to another organization but the option is greyed out, even though I'm super admin of both.",
                "The organization settings page fails with 'Cannot read properties of null' when I open the Members tab.",
                "After SSO login our developers land in an empty organization without any apps.",
                "Removing a former employee from the organization fails with an error and they still show as a member.",
            ],
            "id": [
                "Saya sudah undang rekan sebagai app_developer di {app}, sudah diterima, tapi dia tetap nggak bisa lihat aplikasinya.",
                "API key baru dari dashboard selalu kena 401 `invalid_apikey` waktu dipakai di CLI.",
                "Nggak bisa hapus aplikasi dari dashboard, tombol hapus muter terus.",
                "Ubah role anggota dari upload ke admin nggak ngefek, masih 'permission denied'.",
                "Webhook app_versions nggak pernah terkirim ke endpoint kami, padahal test delivery berhasil.",
                "Hapus mantan karyawan dari organisasi gagal, namanya masih muncul di daftar anggota.",
            ],
        },
        blocks=[b.api_401, b.cli_upload],
    ),
    "fix.analytics": ScopeTemplates(
        subjects={
            "en": [
                "MAU numbers look wrong",
                "Stats empty for last days",
                "Bandwidth spike?",
                "Uninstalled devices counted?",
                "Storage usage not updating",
            ],
            "id": ["Angka MAU aneh", "Statistik kosong", "Bandwidth melonjak", "Storage nggak berkurang"],
        },
        cores={
            "en": [
                "The MAU chart shows {n}k but our own analytics say about {m}k monthly active users. Why such a difference?",
                "Stats for the last {m} days are empty in the dashboard, although devices keep updating.",
                "The bandwidth graph shows a spike to {n} GB yesterday and we didn't release anything. Is the counting correct?",
                "The device list still shows devices that uninstalled months ago. Are they counted in our MAU?",
                "The update success rate for bundle {ver} shows 0% but our users are clearly on it.",
                "Storage usage in the dashboard didn't go down after we deleted {n} bundles last week.",
                "The statistics endpoint of the API returns empty data for {app}, while the dashboard charts show numbers.",
                "The install count per bundle doesn't add up: {n} devices on {ver} in the chart but only {m} in the device list.",
            ],
            "id": [
                "Grafik MAU di dashboard {n} ribu padahal analytics kami cuma sekitar {m} ribu user aktif. Kok beda jauh?",
                "Statistik {m} hari terakhir kosong di dashboard padahal device tetap update.",
                "Grafik bandwidth kemarin naik ke {n} GB padahal kami nggak rilis apa-apa.",
                "Storage di dashboard nggak berkurang setelah hapus {n} bundle.",
                "Device yang sudah uninstall masih muncul di daftar, apakah tetap dihitung MAU?",
            ],
        },
        blocks=[],
    ),
    "billing": ScopeTemplates(
        subjects={
            "en": [
                "Charged twice",
                "Invoice with VAT number",
                "Upgrade to Team",
                "Card declined",
                "Buying credits",
                "Cancel subscription",
                "Trial extension",
                "Payment method",
            ],
            "id": [
                "Tagihan dobel",
                "Minta invoice",
                "Upgrade paket",
                "Kartu ditolak",
                "Batalkan langganan",
                "Perpanjang trial",
            ],
        },
        cores={
            "en": [
                "We were charged twice this month for the {plan} plan ({amount}). Can you refund the duplicate payment?",
                "I need an invoice with our VAT number and company address for {month}. [[The one in the dashboard only shows my name.|Finance won't accept it otherwise.]]",
                "How do we upgrade from {plan} to Team in the middle of the month? Is it prorated?",
                "Our card was declined and updates stopped. How do we pay the outstanding invoice [[quickly|today]]?",
                "Can we buy credits instead of a subscription? How long are they valid and what do they cover?",
                "Please cancel our subscription at the end of the current billing period. We're moving the app to a client's account.",
                "Our trial ends [[tomorrow|on {day}]]; could it be extended by a week? Procurement is slow on our side.",
                "Can we pay by bank transfer or in another currency instead of by card?",
                "We went over the MAU limit of our plan. What does it cost, and when will updates resume?",
                "Please change the billing email to {email} so invoices reach our accounts team.",
            ],
            "id": [
                "Bulan ini kena tagih dua kali untuk paket {plan}. Bisa di-refund yang dobel?",
                "Minta invoice dengan NPWP dan alamat perusahaan untuk bulan {month}.",
                "Cara upgrade dari {plan} ke Team di tengah bulan gimana? Prorata nggak?",
                "Kartu kami ditolak dan update berhenti. Cara bayar tagihan yang tertunggak gimana?",
                "Bisa bayar pakai transfer bank atau rupiah?",
                "Tolong batalkan langganan kami di akhir periode tagihan ini.",
                "Masa trial habis [[besok|hari {day}]], bisa diperpanjang seminggu?",
                "Kami lewat batas MAU paket. Biayanya berapa dan kapan update jalan lagi?",
            ],
        },
        blocks=[b.invoice_line],
    ),
    "account": ScopeTemplates(
        subjects={
            "en": [
                "Lost 2FA device",
                "Change account email",
                "Delete my account",
                "Password reset email not arriving",
                "Transfer org ownership",
                "Where is my account id?",
                "Merge two accounts",
                "Account locked",
            ],
            "id": [
                "HP hilang, nggak bisa 2FA",
                "Ganti email akun",
                "Hapus akun",
                "Email reset password nggak masuk",
                "Pindah owner organisasi",
            ],
        },
        cores={
            "en": [
                "I lost my phone and can't pass two-factor authentication any more. How do I get back into my account?",
                "Please change the email on my account to {email}; I'm leaving the old domain [[next week|at the end of the month]].",
                "How do I delete my Capgo account and all the data attached to it?",
                "The password reset email never arrives. I checked spam and tried {m} times.",
                "Our organization owner left the company. How do we transfer the super admin role to me?",
                "Where do I find my account id? [[Your colleague asked for it.|The form asks for it.]]",
                "I ended up with two accounts, one from Google sign-in and one with email. Can they be merged?",
                "My account is locked after too many login attempts. Can you unlock it?",
                "I can't log in with the magic link, it says the link is expired every time I click it.",
            ],
            "id": [
                "HP saya hilang jadi nggak bisa lolos 2FA. Gimana cara masuk lagi ke akun?",
                "Tolong ganti email akun saya ke {email}.",
                "Cara hapus akun Capgo dan semua datanya gimana?",
                "Email reset password nggak pernah masuk, sudah cek folder spam.",
                "Owner organisasi kami sudah resign, gimana pindahin super admin ke saya?",
                "Account id saya di mana ya? Diminta sama tim support.",
                "Akun saya terkunci setelah salah password beberapa kali.",
            ],
        },
        blocks=[],
    ),
    "out.app_code": ScopeTemplates(
        subjects={
            "en": [
                "App crashes on camera page",
                "Blank login screen",
                "Gradle build fails",
                "CORS error on iOS",
                "State resets on resume",
                "Push notifications not showing",
                "Xcode archive fails",
                "Memory leak",
            ],
            "id": [
                "Aplikasi crash di halaman kamera",
                "Build Gradle gagal",
                "Error CORS di iOS",
                "Notifikasi push nggak muncul",
                "Layar login blank",
            ],
        },
        cores={
            "en": [
                "Our app crashes when the user opens the [[camera|checkout|profile]] page. Stack trace below. Can you help us find the bug?",
                "After our last release the login screen is blank; we changed the router in our {framework} app. Could you look at our code?",
                "The product list scrolls badly on Android and the CSS looks different on iOS. How do we fix it?",
                "Our Gradle build fails and we can't ship. Can you help fix our Android build?",
                "fetch() calls to our own backend fail with a CORS error in the iOS WebView. How do we fix it?",
                "The app's state resets when it comes back from the background on {android}. Is there a fix in our code?",
                "Push notifications don't show on {android} in our app; the permission dialog never appears.",
                "Xcode archive fails for our app and we don't know why. Error below.",
                "Memory keeps growing until the app is killed on older Android phones. Could you help us profile our code?",
                "Our date picker shows the wrong timezone for users in Jakarta, can you tell us what's wrong in our component?",
            ],
            "id": [
                "Aplikasi kami crash waktu buka halaman [[kamera|checkout]]. Stack trace di bawah, bisa bantu cari bug-nya?",
                "Build Gradle gagal, bisa bantu benerin build Android kami?",
                "Request fetch ke API kami sendiri kena CORS di iOS. Gimana solusinya?",
                "Notifikasi push nggak muncul di {android} di aplikasi kami, dialog izin nggak keluar.",
                "Layar login blank setelah kami ubah router di aplikasi {framework} kami, bisa tolong cek kodenya?",
                "State aplikasi ke-reset waktu balik dari background. Ada yang salah di kode kami?",
                "Memori aplikasi terus naik sampai di-kill di HP Android lama. Bisa bantu cek kode kami?",
            ],
        },
        blocks=[b.js_stack, b.js_stack, b.gradle_error, b.xcode_error],
    ),
    "out.rewrite": ScopeTemplates(
        subjects={
            "en": [
                "Rewrite our Cordova app?",
                "Make our code compatible with Capgo",
                "Port React Native app",
                "Adapt our build",
                "Refactor request",
            ],
            "id": [
                "Tulis ulang aplikasi Cordova",
                "Bikin kode kami kompatibel Capgo",
                "Convert React Native ke Capacitor",
            ],
        },
        cores={
            "en": [
                "Our app is an old Cordova + AngularJS app. Could your team rewrite it to Capacitor so we can use Capgo?",
                "Can you refactor our startup code so it's compatible with live updates? We read config from native files everywhere. We'd send you the repo.",
                "We need our React Native app converted to Capacitor so we can use Capgo. Can your developers do the port?",
                "Please adapt our webpack build so the output fits the Capgo bundle format; we can share our code with you.",
                "Could someone rewrite our in-app update logic (a custom zip downloader) to use the Capgo updater for us?",
                "Our app loads remote JS with eval; please rewrite the module loader so it works with Capgo bundles.",
                "We'd like you to restructure our {framework} project so that the web part can be shipped as live updates. Can you take that on?",
                "Can you migrate our codebase from Capacitor {cap} APIs to the newer ones so the updater works? It's about {n} files.",
            ],
            "id": [
                "Aplikasi kami masih Cordova + AngularJS. Bisa tim Capgo tulis ulang ke Capacitor supaya bisa pakai Capgo?",
                "Bisa bantu refactor kode startup kami biar kompatibel dengan live update? Repo-nya kami kirim.",
                "Tolong convert aplikasi React Native kami ke Capacitor biar bisa pakai Capgo.",
                "Mohon ubah kode loader modul kami supaya jalan dengan bundle Capgo.",
                "Bisa tolong ubah struktur project {framework} kami supaya bagian web-nya bisa dikirim lewat live update?",
            ],
        },
        blocks=[b.package_json, b.js_stack],
    ),
    "out.third_party": ScopeTemplates(
        subjects={
            "en": [
                "Firebase auth plugin breaks after update",
                "OneSignal stops after bundle switch",
                "SQLite plugin loses DB",
                "Plugin conflict",
                "Appflow SDK conflict",
                "Fix this open-source plugin?",
            ],
            "id": [
                "Plugin Firebase error setelah update",
                "OneSignal nggak jalan",
                "Plugin SQLite kehilangan data",
                "Plugin bentrok",
            ],
        },
        cores={
            "en": [
                "The @capacitor-firebase/authentication plugin breaks after a live update (Google sign-in returns null). Can you patch the plugin so it works with Capgo?",
                "The OneSignal SDK stops receiving notifications after the updater switches bundles. Could you fix OneSignal's plugin for us?",
                "@capacitor-community/sqlite loses the database path after an update; please fix the plugin.",
                "We use a fork of [[cordova-plugin-background-geolocation|cordova-plugin-file-transfer]] and it conflicts with capacitor-updater. Can you modify it?",
                "Ionic Appflow's deploy plugin is still installed and fights with Capgo. Can you patch the Appflow SDK so it disables itself?",
                "The Stripe Capacitor plugin crashes after an OTA update; can you fix that open-source plugin?",
                "The open-source library capacitor-blob-writer isn't compatible with Capgo bundles; please fix it upstream.",
                "Branch.io deep links stop working after a live update; can you change their SDK so it finds the new bundle path?",
            ],
            "id": [
                "Plugin @capacitor-firebase/authentication error setelah live update. Bisa tolong patch plugin-nya biar cocok dengan Capgo?",
                "SDK OneSignal nggak nerima notifikasi lagi setelah updater ganti bundle. Bisa dibenerin plugin-nya?",
                "capacitor-community/sqlite kehilangan database setelah update, tolong perbaiki plugin-nya.",
                "Kami pakai fork cordova-plugin-file-transfer, bentrok dengan capacitor-updater. Bisa dimodifikasi?",
                "Plugin deploy Appflow masih terpasang dan bentrok dengan Capgo, bisa di-patch SDK-nya?",
            ],
        },
        blocks=[b.package_json, b.js_stack, b.logcat_updater],
    ),
    "out.self_hosted": ScopeTemplates(
        subjects={
            "en": [
                "Self-hosted Capgo frontend error",
                "Self-hosted upload fails",
                "Flutter support?",
                "Expo / React Native",
                "Self-hosted cron not running",
            ],
            "id": [
                "Capgo self-host error",
                "Upload ke server sendiri gagal",
                "Bisa untuk Flutter?",
                "React Native / Expo",
            ],
        },
        cores={
            "en": [
                "We self-host Capgo on our own Supabase and the frontend shows 'Promise.withResolvers is not a function'. How do we fix our instance?",
                "We run the open-source Capgo backend on [[Kubernetes|Docker Compose|a VPS]]; CLI uploads to our self-hosted instance fail with `fetch failed`.",
                "Does Capgo work for Flutter? We want live updates in our Flutter app as well.",
                "We use Expo with React Native. Can Capgo push updates to it?",
                "The cron jobs on our self-hosted Capgo don't run and stats are empty. Which environment variables are needed?",
                "How do I point the updater's updateUrl to our own server running the Capgo backend from GitHub? Registration there says the user already exists.",
                "Can Capgo update a [[NativeScript|plain Cordova|Xamarin]] app without Capacitor?",
                "We're running Capgo on-premise behind our firewall and the Supabase edge functions time out. Can you help us debug our deployment?",
            ],
            "id": [
                "Kami self-host Capgo pakai Supabase sendiri, frontend error `Promise.withResolvers is not a function`. Gimana benerinnya?",
                "Capgo bisa dipakai buat aplikasi Flutter nggak?",
                "Upload CLI ke server Capgo self-hosted kami gagal `fetch failed`.",
                "Bisa update aplikasi React Native / Expo pakai Capgo?",
                "Cron di Capgo self-host kami nggak jalan, statistik kosong. Env var apa saja yang perlu?",
            ],
        },
        blocks=[b.selfhost_log],
    ),
    "incident": ScopeTemplates(
        subjects={
            "en": [
                "Is Capgo down?",
                "API returning 502",
                "Outage?",
                "All devices stopped updating",
                "Dashboard not loading",
                "Uploads failing for everyone",
            ],
            "id": ["Capgo down?", "API 502", "Ada gangguan?", "Dashboard nggak bisa dibuka"],
        },
        cores={
            "en": [
                "Is Capgo down? The console doesn't load and the CLI times out since about {time}.",
                "api.capgo.app returns [[502 Bad Gateway|503|timeouts]] for every request right now.",
                "All our devices stopped getting updates at {time}, across all our apps. Is something wrong on your side?",
                "Uploads have been failing for everyone on our team for the last {n} minutes. Anything going on?",
                "The dashboard shows 'Something went wrong' on every page. Is there an outage?",
                "The update service is very slow or timing out for users in both Asia and Europe since {time}.",
                "Nobody in our company can log in to the console since {time}, and the status page still says all systems normal.",
            ],
            "id": [
                "Capgo lagi down ya? Dashboard nggak bisa dibuka dan CLI timeout dari jam {time}.",
                "api.capgo.app balikin 502 untuk semua request barusan.",
                "Semua device kami berhenti dapat update sejak jam {time}, apakah ada gangguan?",
                "Dashboard error 'Something went wrong' di semua halaman, lagi ada gangguan?",
                "Upload gagal terus untuk semua orang di tim kami sejak {n} menit lalu.",
            ],
        },
        blocks=[b.curl_outage, b.cli_upload],
    ),
    "premium": ScopeTemplates(
        subjects={
            "en": [
                "Premium Support",
                "Paid consulting hours?",
                "Dedicated engineer",
                "Premium support details",
                "Support retainer",
            ],
            "id": ["Premium Support", "Konsultasi berbayar", "Butuh engineer khusus"],
        },
        cores={
            "en": [
                "We'd like to buy Premium Support: we need someone to help us debug our own app code around the updater. What does it cost?",
                "Do you offer paid consulting hours or a retainer? We're on the {plan} plan and want a dedicated engineer for our migration.",
                "Can we get a call with an engineer to review our whole setup? Happy to pay for premium support.",
                "I'm interested in the premium support option mentioned on the support page. Please send details and the contact form.",
                "Can we add premium support hours to our Enterprise contract for the next quarter?",
                "We need hands-on help beyond normal support, somebody who can look at our code. Is there a paid option for that?",
            ],
            "id": [
                "Kami tertarik dengan Premium Support, butuh bantuan debug kode aplikasi kami sendiri. Biayanya berapa?",
                "Ada layanan konsultasi berbayar atau retainer? Kami di paket {plan} dan butuh engineer khusus.",
                "Bisa jadwalkan call dengan engineer untuk review setup kami? Kami siap bayar premium support.",
                "Mohon info paket Premium Support dan formulir kontaknya.",
            ],
        },
        blocks=[],
    ),
    "feature_request": ScopeTemplates(
        subjects={
            "en": [
                "Feature request",
                "Suggestion",
                "Would be nice: scheduled releases",
                "Idea for the dashboard",
                "Slack integration?",
                "Roadmap question",
                "Wish list",
            ],
            "id": ["Usul fitur", "Saran", "Request fitur", "Ide fitur"],
        },
        cores={
            "en": [
                "Feature request: it would be great to schedule a bundle to go live at a given time on a channel.",
                "Any plans to roll back automatically when the crash rate from Sentry goes up?",
                "Please add an option in the console to export the device list as CSV.",
                "Would love a Slack integration that posts when a bundle is uploaded or promoted.",
                "Could the CLI accept a zip URL instead of a local folder for uploads?",
                "Suggestion: dark mode in the dashboard, and a way to pin favourite apps.",
                "Please add a per-channel webhook for when a device fails to update.",
                "It would help us a lot if the dashboard showed the bundle size trend over time.",
                "Is it on the roadmap to let us [[tag bundles|group apps into folders|comment on bundles]] in the console? We'd use it every day.",
                "Missing feature for us: [[two-person approval for production|IP allow-listing for API keys|a read-only share link for the stats]]. Any chance you'll build it?",
                "Would you consider adding [[a Microsoft Teams integration|an official Fastlane action|a Bitbucket pipe]]? Happy to beta test.",
                "Idea: let us set a maintenance message per channel that the app can read, without shipping a bundle.",
                "Could you offer [[SSO|audit logs|custom roles]] on the {plan} plan too? Today it's Enterprise only and we'd love it.",
                "Not a bug, just a wish: a weekly summary email with failed updates per app.",
            ],
            "id": [
                "Usul fitur: bisa jadwalkan bundle aktif di jam tertentu?",
                "Ada rencana integrasi Slack untuk notifikasi upload?",
                "Tolong tambahkan ekspor daftar device ke CSV di dashboard.",
                "Saran: dashboard versi bahasa Indonesia dong.",
                "Akan sangat membantu kalau CLI bisa upload dari URL zip.",
                "Ada rencana fitur [[tag di bundle|folder untuk mengelompokkan app|komentar di bundle]]? Kami pasti pakai tiap hari.",
                "Bukan bug, cuma harapan: ringkasan mingguan lewat email soal update yang gagal.",
                "Usul: bisa nggak fitur [[SSO|audit log]] dibuka juga untuk paket {plan}?",
            ],
        },
        blocks=[],
    ),
}

GREETINGS = {
    "en": [
        "Hi,",
        "Hello Capgo team,",
        "Hey there,",
        "Hi support,",
        "Good morning,",
        "Dear Capgo,",
        "hi",
        "Hello,",
        "Hi {name} here,",
    ],
    "id": [
        "Halo kak,",
        "Halo min,",
        "Selamat pagi,",
        "Permisi gan,",
        "Dengan hormat,",
        "Hai tim Capgo,",
        "Kak,",
        "Siang kak,",
        "Halo,",
    ],
}
OPENERS = {
    "en": [
        "We're on the {plan} plan.",
        "Our app id is {app}.",
        "App: {app}, platform {platform}.",
        "Capacitor {cap}, updater {plugin_ver}.",
        "I'm the lead developer at {company}.",
        "Quick one.",
        "Sorry for the long mail.",
    ],
    "id": [
        "Kami pakai paket {plan}.",
        "App id kami {app}.",
        "Capacitor {cap}, updater {plugin_ver}.",
        "Saya developer di {company}.",
        "Mau tanya kak.",
        "Maaf panjang.",
    ],
}
ASIDES = {
    "en": [
        "Also, is there a changelog for the plugin somewhere?",
        "btw where can I find the CLI docs?",
        "Second question: do you have an RSS feed for the status page?",
        "PS: love the product so far.",
        "One more thing: is there a Discord for quick questions?",
        "Also, can my colleague {email} be cc'd on this?",
    ],
    "id": [
        "Oh iya, changelog plugin ada di mana ya?",
        "Satu lagi, dokumentasi CLI di mana?",
        "Btw produknya mantap.",
        "Ada grup Discord buat tanya-tanya cepat?",
        "Tolong cc ke {email} juga ya.",
    ],
}
CLOSERS = {
    "en": [
        "Thanks!",
        "Thanks in advance,\n{name}",
        "Cheers, {name}",
        "Regards,\n{name}\n{company}",
        "Sent from my iPhone",
        "--\n{name} | {company}",
        "thx",
        "Best,\n{name}",
    ],
    "id": [
        "Terima kasih.",
        "Makasih kak 🙏",
        "Mohon bantuannya, terima kasih.",
        "Salam,\n{name}",
        "Thx gan",
        "Ditunggu kabarnya ya.",
        "Hormat kami,\n{name}\n{company}",
    ],
}
GENERIC_SUBJECTS = {
    "en": [
        "Help needed",
        "Question",
        "urgent",
        "Support request",
        "{app}",
        "issue with capgo",
        "Problem",
        "need help asap",
        "(no subject)",
    ],
    "id": ["Mohon bantuan", "Tanya kak", "Urgent!!", "Kendala", "Minta tolong", "{app}", "(tanpa subjek)"],
}
# Earlier mail quoted under a reply. Stripped before features, so its topic may differ.
QUOTED_SUPPORT = {
    "en": [
        "Hi {name},\nthanks for reaching out. Could you send us your app id and the output of `npx @capgo/cli doctor`?\nBest,\nCapgo Support",
        "Hello,\nwe've looked at your account and everything looks fine on our side. Can you reproduce it on a clean install?\nCapgo Support",
        "Hi,\nyour invoice is attached. Let us know if anything else is needed.\nCapgo Support",
    ],
    "id": [
        "Halo {name},\nterima kasih sudah menghubungi kami. Boleh kirim app id dan output `npx @capgo/cli doctor`?\nSalam,\nCapgo Support",
        "Halo,\nkami sudah cek akun Anda dan dari sisi kami normal. Bisa dicoba di instalasi baru?\nCapgo Support",
    ],
}
QUOTE_HEADERS = {
    "en": [
        "On {day}, {month} 3, 2026 at 10:12 AM Capgo Support <support@capgo.app> wrote:",
        "-----Original Message-----\nFrom: Capgo Support <support@capgo.app>\nSent: {day}, {month} 3, 2026 10:12\nTo: {email}\nSubject: Re: your request",
    ],
    "id": [
        "Pada {day}, 3 {month} 2026 pukul 10.12 Capgo Support <support@capgo.app> menulis:",
        "On {day}, {month} 3, 2026 at 10:12 AM Capgo Support <support@capgo.app> wrote:",
    ],
}
