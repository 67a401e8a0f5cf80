"""File servers of the firmware (L01 UpdateFirmware) and log (N01 GetLog) use cases, and the station's client side.

The harness as CSMS needs a place a station downloads firmware from and uploads logs to; the built-in station
simulator needs to do the downloading and uploading. Both servers run on 127.0.0.1 (a free port; `host=` the address
a lab station reaches: the fixtures use the station profile's `endpoint.host`), HTTP or HTTPS, record every request
(and every failed TLS handshake), and never keep a Basic Auth password.

    FirmwareServer  publish / publish_signed / publish_badly_signed / missing_image -> URL; downloads, wait_for_download
    LogReceiver     url_for(request_id) -> remoteLocation; wait_for_upload -> Upload (stored under the reports dir)
    download / upload (client.py)  the station side, stdlib only; TransferError / TransferTimeout
"""

from harness.fileserver.client import TransferError, TransferTimeout, download, upload
from harness.fileserver.firmware import UNINSTALLABLE, FirmwareImage, FirmwareServer, image_bytes
from harness.fileserver.http_server import HttpServer, RequestRecord, mask_url
from harness.fileserver.logs import LogReceiver, Upload, UploadTimeout

__all__ = [
    "UNINSTALLABLE", "FirmwareImage", "FirmwareServer", "HttpServer", "LogReceiver", "RequestRecord", "TransferError",
    "TransferTimeout", "Upload", "UploadTimeout", "download", "image_bytes", "mask_url", "upload",
]
