"""Indonesian is a first-class language of the desk: its reports are classified as surely as English ones.

The requests below were written for this test, in both registers Indonesian developers
write in: formal (tidak, pembaruan, perangkat, unduh, unggah, kanal) and casual with
English terms (nggak, update, device, deploy, channel). They are not in the training
set, not even in part (a test below holds that), so they measure the model rather than
its memory. Each must reach its group with a confidence at or above the policy's triage
threshold: below it, a person triages the request and, during an incident, it is not
referred to the status page (``decide``'s M1/M2 step needs a confident scope).
"""

from __future__ import annotations

import re

import pytest

from capdesk.policy.classifier import classify_many
from capdesk.policy.classifier.dataset import read_examples
from capdesk.policy.data import LABELLED
from capdesk.policy.loader import get_policy

# (group, subject, body)
REPORTS = [
    (
        "covered",
        "Perangkat tidak menerima pembaruan",
        "Sejak kemarin sore perangkat pengguna kami tidak mengunduh versi terbaru yang sudah kami unggah "
        "ke kanal produksi. Di dasbor versinya sudah aktif, tetapi aplikasi masih menjalankan versi sebelumnya.",
    ),
    (
        "covered",
        "update OTA nggak masuk ke HP user",
        "Bundle 2.3.1 udah di-deploy ke channel production dari kemarin, tapi HP user masih di versi lama "
        "semua. Statistik download juga nol. Kenapa ya?",
    ),
    (
        "covered",
        "Penguji mendapat bundle yang salah",
        "Perangkat tim QA sudah kami pindahkan ke kanal beta, namun yang terpasang tetap bundle dari kanal "
        "produksi. Apakah ada pengaturan yang terlewat?",
    ),
    (
        "covered",
        "Pembaruan gagal dipasang di iPhone",
        "Di iPhone pembaruan sudah selesai diunduh, tetapi setelah aplikasi ditutup dan dibuka lagi "
        "tampilannya tetap versi lama. Di Android tidak ada masalah.",
    ),
    (
        "covered",
        "Gagal unggah bundle dari CLI",
        "Setiap kali menjalankan `npx @capgo/cli bundle upload` prosesnya berhenti dengan pesan gagal unggah "
        "setelah beberapa menit. Ukuran bundle sekitar 30 MB. Bagaimana cara mengatasinya?",
    ),
    (
        "covered",
        "Cara memasang pembaruan langsung pertama kali",
        "Kami baru berlangganan dan ingin memasang plugin pembaruan langsung di aplikasi Ionic kami. Langkah "
        "pertamanya apa saja sampai bundle pertama bisa diterima perangkat?",
    ),
    (
        "covered",
        "Cara mengembalikan versi sebelumnya",
        "Bagaimana cara mengembalikan kanal produksi ke bundle sebelumnya? Versi yang baru kami rilis ada bug tampilan.",
    ),
    (
        "covered",
        "Anggota tim tidak bisa mengunggah",
        "Rekan saya sudah diberi peran admin di organisasi, tetapi saat mengunggah bundle selalu muncul pesan "
        "tidak punya izin.",
    ),
    (
        "billing_account",
        "Tagihan ganda bulan ini",
        "Kartu kredit kami terpotong dua kali untuk langganan paket Team bulan ini. Mohon pengembalian dana "
        "untuk pembayaran yang ganda.",
    ),
    (
        "billing_account",
        "Tidak bisa masuk ke akun",
        "Saya tidak bisa masuk karena ponsel untuk verifikasi dua langkah hilang. Bagaimana cara memulihkan "
        "akses ke akun saya?",
    ),
    (
        "not_covered",
        "Tombol login tidak merespons di iOS",
        "Form login kami tidak bisa submit di iOS, tombolnya tidak merespons sama sekali. Bisa bantu cek kode Vue kami?",
    ),
    (
        "incident",
        "Apakah layanan Capgo sedang bermasalah?",
        "Sejak setengah jam lalu dasbor tidak bisa dibuka dan semua perintah CLI gagal tersambung ke server. "
        "Rekan kerja saya mengalami hal yang sama.",
    ),
    (
        "feedback",
        "Saran fitur",
        "Alangkah baiknya kalau dasbor bisa mengirim notifikasi ke Telegram setiap ada bundle baru yang diunggah.",
    ),
]
SHARED_RUN = 6  # words in a row: a training request sharing this many with a report would be a paraphrase


def _runs(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + SHARED_RUN]) for i in range(len(words) - SHARED_RUN + 1)}


def test_no_report_here_is_in_the_training_set_even_in_part():
    training: set[tuple[str, ...]] = set()
    for e in read_examples(LABELLED):
        training |= _runs(f"{e.subject}\n{e.body}")
    for _, subject, body in REPORTS:
        assert not _runs(body) & training, subject


@pytest.mark.parametrize(("group", "subject", "body"), REPORTS, ids=[r[1] for r in REPORTS])
def test_an_indonesian_report_reaches_its_group_above_the_triage_threshold(group, subject, body):
    (result,) = classify_many([(subject, body)])
    assert result.group == group, result
    assert result.confidence >= get_policy().confidence_threshold, result
