import pytest
from django.core import signing
from django.core.files.base import ContentFile

from onprovence.storage import (
    S3StorageForBrowsers,
    delete_prefix,
    list_prefix,
    private_storage,
    private_url,
    read_private_token,
)


def test_private_objects_on_s3_get_presigned_urls_that_expire(s3_endpoint):
    storage = private_storage()
    storage.save("tests/presign/hello.txt", ContentFile(b"bonjour"))

    url = private_url("tests/presign/hello.txt", expires=60)

    assert url.startswith(s3_endpoint)
    assert "X-Amz-Signature=" in url
    assert "X-Amz-Expires=60" in url


def test_delete_prefix_removes_every_object_under_it_and_nothing_else_on_s3():
    storage = private_storage()
    for key in ("tests/del/a/1.txt", "tests/del/a/2/3.txt", "tests/del/b/4.txt"):
        storage.save(key, ContentFile(b"x"))

    assert delete_prefix(storage, "tests/del/a") == 2

    assert list_prefix(storage, "tests/del/a") == []
    assert list_prefix(storage, "tests/del/b") == ["tests/del/b/4.txt"]


def test_local_private_links_serve_the_file_until_they_expire(client, local_storage):
    private_storage().save("testimonials/x/web.mp4", ContentFile(b"video bytes"))

    url = private_url("testimonials/x/web.mp4", expires=60)
    response = client.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"video bytes"
    assert response["Content-Type"] == "video/mp4"


def test_local_private_links_refuse_a_tampered_or_expired_token(client, local_storage):
    private_storage().save("testimonials/x/web.mp4", ContentFile(b"video bytes"))
    url = private_url("testimonials/x/web.mp4", expires=-1)

    assert client.get(url).status_code == 404
    assert client.get(url[:-3] + "abc").status_code == 404
    with pytest.raises(signing.SignatureExpired):
        read_private_token(url.rsplit("/", 1)[1])


def test_local_delete_prefix_removes_the_folder(local_storage):
    storage = private_storage()
    storage.save("testimonials/abc/original", ContentFile(b"1"))
    storage.save("testimonials/abc/renditions/web.mp4", ContentFile(b"2"))

    assert delete_prefix(storage, "testimonials/abc") == 2
    assert not (local_storage / "private" / "testimonials" / "abc").exists()


def test_links_use_the_address_browsers_reach_the_store_by_and_stay_valid_there(s3_endpoint):
    """docker-compose: the processes reach MinIO as minio:9000, browsers as localhost:9000.

    Here the processes use 127.0.0.1 and browsers "localhost", one S3 server: a presigned
    link is made for "localhost" and accepted there, a public link names it too (this moto
    bucket has no public-read policy to fetch it by); the files still go through
    `endpoint_url`.
    """
    import urllib.request

    from django.conf import settings

    browser_endpoint = s3_endpoint.replace("127.0.0.1", "localhost")
    assert browser_endpoint != s3_endpoint
    options = {
        name: {**settings.STORAGES[name]["OPTIONS"], "browser_endpoint_url": browser_endpoint}
        for name in ("default", "public")
    }
    private = S3StorageForBrowsers(**options["default"])
    public = S3StorageForBrowsers(**options["public"])
    private.save("tests/browser/private.txt", ContentFile(b"prive"))
    public.save("tests/browser/public.txt", ContentFile(b"public"))

    private_link = private.url("tests/browser/private.txt", expire=60)
    public_link = public.url("tests/browser/public.txt")

    assert private_link.startswith(browser_endpoint + "/")
    assert "X-Amz-Signature=" in private_link
    assert public_link == f"{browser_endpoint}/{settings.S3_PUBLIC_BUCKET}/tests/browser/public.txt"
    with urllib.request.urlopen(private_link) as response:
        assert response.read() == b"prive"
    assert public.exists("tests/browser/public.txt")  # saved through endpoint_url
    # Without the setting, links keep the processes' address.
    assert private_storage().url("tests/browser/private.txt").startswith(s3_endpoint + "/")
