"""Kit assets: format and dimensions read from the file, previews rendered once, versions."""

import subprocess
from importlib import import_module

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from employer_kit.models import KitAsset, KitAssetVersion
from employer_kit.services import kit_asset_analyse, kit_asset_save
from onprovence.storage import private_storage, public_storage
from tests.employer_kit.conftest import pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


def _preview(asset: KitAsset) -> Image.Image:
    image = Image.open(public_storage().open(asset.preview_key, "rb"))
    image.load()
    return image


def test_image_asset_gets_format_dimensions_and_a_thumbnail(make_asset):
    asset = make_asset(content=png_bytes((1600, 1000)), name="photo.jpg")  # the name lies

    asset = kit_asset_analyse(asset_id=asset.pk)

    assert (asset.file_format, asset.width, asset.height) == ("PNG", 1600, 1000)
    assert asset.size_bytes == private_storage().size(asset.file.name)
    preview = _preview(asset)
    assert preview.format == "WEBP" and preview.size == (480, 300)


def test_pdf_asset_gets_its_page_count_and_a_first_page_preview(make_asset):
    asset = make_asset(kind=KitAsset.Kind.BROCHURE, content=pdf_bytes(), name="brochure.pdf")

    asset = kit_asset_analyse(asset_id=asset.pk)

    assert (asset.file_format, asset.page_count, asset.width, asset.height) == ("PDF", 2, 595, 842)
    assert asset.preview_key == f"kit/previews/{asset.pk}/v1.webp"
    preview = _preview(asset)
    assert preview.width == 480 and preview.height > 600
    # The title area of page 1 is dark text on white: the render is the first page, not blank.
    assert min(preview.convert("L").crop((30, 40, 400, 90)).getdata()) < 100


def test_video_asset_gets_duration_dimensions_and_a_poster(make_asset, tmp_path):
    video = tmp_path / "clip.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10:duration=2",
         "-pix_fmt", "yuv420p", str(video)],
        check=True,
    )  # fmt: skip
    asset = make_asset(kind=KitAsset.Kind.VIDEO, content=video.read_bytes(), name="clip.mp4")

    asset = kit_asset_analyse(asset_id=asset.pk)

    assert (asset.width, asset.height) == (320, 240)
    assert asset.duration == pytest.approx(2.0, abs=0.2)
    assert asset.file_format == "MP4"
    assert _preview(asset).size == (480, 360)


def test_a_new_file_keeps_the_old_version_for_staff(make_asset, django_capture_on_commit_callbacks):
    asset = make_asset(content=png_bytes((200, 100)), name="logo.png")
    kit_asset_analyse(asset_id=asset.pk)
    asset.refresh_from_db()
    old_key = asset.file.name

    asset.file.save("logo.png", ContentFile(png_bytes((400, 400))), save=False)
    kit_asset_save(asset=asset, file_changed=True)

    asset.refresh_from_db()
    assert asset.version == 2
    assert asset.file.name != old_key
    version = KitAssetVersion.objects.get(asset=asset)
    assert (version.version, version.file_key, version.width) == (1, old_key, 200)
    assert private_storage().exists(old_key)
    assert asset.width is None  # read again from the new file by the worker


def test_staff_download_an_old_version_from_the_admin(admin_client, make_asset):
    asset = make_asset(content=b"first", name="logo.png")
    old_key = asset.file.name
    asset.file.save("logo.png", ContentFile(b"second"), save=False)
    kit_asset_save(asset=asset, file_changed=True)

    page = admin_client.get(f"/admin/employer_kit/kitasset/{asset.pk}/change/").content.decode()

    assert old_key.rsplit("/", 1)[0] in page
    assert "X-Amz-Signature" in page


def test_the_kit_employeur_group_can_edit_assets_and_talking_points():
    from django.apps import apps
    from django.contrib.auth.models import Group

    # A transactional test may have flushed the seeded group: run the migration step again.
    migration = import_module("employer_kit.migrations.0003_kit_group_and_talking_points")
    migration.create_group(apps, None)

    group = Group.objects.get(name="Kit employeur")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {
        "change_kitasset",
        "add_talkingpoint",
        "view_kitdownload",
        "view_recruiter",
    } <= codenames
    assert "view_keyfigure" in codenames
    # Published testimonials are picked from the kit's own admin page: no access to the queue.
    assert not {"view_testimonial", "change_testimonial"} & codenames
