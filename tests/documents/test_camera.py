"""The camera simulator, the threaded Camera (warm-up, preview, capture, reopen) and the UVC driver
when the device is missing or unplugged. Polling loops wait for states; nothing asserts timing."""
from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from drivers.camera import Camera, CameraError, SimReader, UvcReader, camera_from_settings
from ztc.settings import CameraSettings

MISSING = "/dev/v4l/by-id/usb-ZTC_Document_Camera_0000-video-index0"


def eventually(check, what: str, limit_s: float = 20.0):
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        value = check()
        if value is not None and value is not False:
            return value
        time.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


class CountingReader:
    """Wraps a reader and numbers the frames it hands out (stamped into pixel [0, 0])."""

    def __init__(self, inner):
        self.inner, self.name, self.reads, self.opens = inner, "counting", 0, 0

    def open(self):
        self.opens += 1
        return self.inner.open()

    def read(self):
        frame = self.inner.read()
        self.reads += 1
        frame[0, 0] = (self.reads % 256, 0, 0)
        return frame

    def close(self):
        self.inner.close()


def test_sim_shows_one_document_until_the_next_is_put_down(documents_dir):
    reader = SimReader(documents_dir, fps=60)
    assert reader.open() == (3264, 2448)
    first, again = reader.read(), reader.read()
    assert np.array_equal(first, again)
    reader.next_document()
    assert np.array_equal(reader.read(), cv2.imread(str(documents_dir / "form-2.jpg")))
    reader.close()


def test_sim_plays_and_loops_a_video(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    for n in range(3):
        writer.write(np.full((240, 320, 3), 60 * (n + 1), np.uint8))
    writer.release()
    reader = SimReader(path, fps=60)
    assert reader.open() == (320, 240)
    levels = [int(reader.read().mean()) for _ in range(5)]
    assert [round(v / 60) for v in levels] == [1, 2, 3, 1, 2]


def test_sim_with_a_missing_source_says_what_is_missing(tmp_path):
    with pytest.raises(CameraError, match="does not exist"):
        SimReader(tmp_path / "nothing-here").open()


def test_camera_opens_lazily_drops_warmup_frames_and_captures_full_resolution(documents_dir):
    reader = CountingReader(SimReader(documents_dir, fps=60))
    camera = Camera(reader, preview_width=320, warmup_frames=4)
    assert reader.opens == 0 and camera.get_status()["state"] == "absent"   # nothing opened yet
    with camera:
        frame = camera.capture()
        assert frame.shape == (2448, 3264, 3)
        assert frame[0, 0, 0] > 4, "the first frames after opening are dropped"
        preview = eventually(camera.preview, "a preview frame")
        assert preview.shape == (240, 320, 3)
        status = camera.get_status()
        assert status["state"] == "ok" and status["resolution"] == "3264x2448"
        later = camera.capture()
        assert later[0, 0, 0] != frame[0, 0, 0], "capture waits for a new frame, never returns a stale one"


def test_unplugged_camera_is_reported_and_reopened(documents_dir):
    reader = SimReader(documents_dir, fps=60)
    with Camera(reader, warmup_frames=0, reopen_max_s=0.5) as camera:
        camera.capture()
        reader.unplug()
        eventually(lambda: camera.get_status()["state"] == "offline", "offline after unplug")
        assert "unplugged" in camera.get_status()["detail"]
        with pytest.raises(CameraError, match="capture failed"):
            camera.capture(timeout_s=0.3)
        reader.plug()
        eventually(lambda: camera.get_status()["state"] == "ok", "ok after plugging back in")
        assert camera.capture().shape == (2448, 3264, 3)


def test_missing_uvc_device_is_a_clear_status_and_is_retried():
    camera = Camera(UvcReader(MISSING, 3264, 2448), reopen_max_s=0.5)
    with camera:
        eventually(lambda: camera.open_attempts >= 2, "a second open attempt (backoff retry)")
        status = camera.get_status()
        assert status["state"] == "offline"
        assert MISSING in status["detail"] and "not connected" in status["detail"] and "未连接" in status["detail"]
        with pytest.raises(CameraError) as err:
            camera.capture(timeout_s=0.2)
        assert "not connected" in str(err.value)
    assert camera.get_status()["state"] == "absent"


def test_missing_device_index_is_reported():
    reader = UvcReader("57", 640, 480)   # no /dev/video57 here
    assert reader.source == 57
    with pytest.raises(CameraError, match="cannot be opened"):
        reader.open()


class FakeV4l2Capture:
    """Stands in for cv2.VideoCapture on a USB camera (no USB bus here): records what is set."""

    def __init__(self, source, api, gives=(1920, 1080), fail_after=None):
        self.source, self.api, self.calls, self.props = source, api, [], {}
        self.gives, self.fail_after, self.n = gives, fail_after, 0

    def isOpened(self):  # OpenCV spells it this way
        return True

    def set(self, prop, value):
        self.calls.append(prop)
        self.props[prop] = value
        return True

    def get(self, prop):
        return {cv2.CAP_PROP_FRAME_WIDTH: self.gives[0], cv2.CAP_PROP_FRAME_HEIGHT: self.gives[1]}.get(prop, 0)

    def read(self):
        self.n += 1
        if self.fail_after is not None and self.n > self.fail_after:
            return False, None
        return True, np.zeros((self.gives[1], self.gives[0], 3), np.uint8)

    def release(self):
        pass


def test_uvc_sets_mjpg_before_the_size_and_reports_what_the_camera_gave(tmp_path):
    device = tmp_path / "video-index0"
    device.touch()   # the by-id path exists; the V4L2 device behind it is the fake
    made = []
    reader = UvcReader(str(device), 3264, 2448,
                       capture_factory=lambda s, api: made.append(FakeV4l2Capture(s, api, fail_after=2)) or made[-1])
    assert made == []   # nothing opened in the constructor
    assert reader.open() == (1920, 1080)
    cap = made[0]
    assert cap.api == cv2.CAP_V4L2 and cap.source == str(device)
    assert cap.calls.index(cv2.CAP_PROP_FOURCC) < cap.calls.index(cv2.CAP_PROP_FRAME_WIDTH)
    assert cap.props[cv2.CAP_PROP_FOURCC] == cv2.VideoWriter_fourcc(*"MJPG")
    assert (cap.props[cv2.CAP_PROP_FRAME_WIDTH], cap.props[cv2.CAP_PROP_FRAME_HEIGHT]) == (3264, 2448)
    reader.read()
    reader.read()
    with pytest.raises(CameraError, match="unplugged"):
        reader.read()


def test_settings_pick_the_reader():
    assert isinstance(camera_from_settings(CameraSettings()).reader, SimReader)
    cam = camera_from_settings(CameraSettings(source=MISSING, width=1600, height=1200))
    assert isinstance(cam.reader, UvcReader) and cam.reader.width == 1600
    assert isinstance(camera_from_settings(CameraSettings(source="0")).reader, UvcReader)


class CrashingOnceReader:
    """A driver that blows up with a non-camera error (an OpenCV assertion) on its first open/read."""

    name = "crashing"

    def __init__(self):
        self.opens = self.reads = 0

    def open(self):
        self.opens += 1
        if self.opens == 1:
            raise cv2.error("garbage from the device")
        return (64, 48)

    def read(self):
        self.reads += 1
        if self.reads == 1:
            raise RuntimeError("corrupt MJPG frame")
        return np.full((48, 64, 3), 7, np.uint8)

    def close(self):
        pass


def test_driver_crashes_are_reported_and_the_worker_keeps_going():
    reader = CrashingOnceReader()
    with Camera(reader, warmup_frames=0, reopen_max_s=0.5) as camera:
        frame = camera.capture(timeout_s=20)
        assert frame.shape == (48, 64, 3) and int(frame[0, 0, 0]) == 7
        assert reader.opens >= 3, "reopened after the open crash and after the read crash"
        assert camera.get_status()["state"] == "ok"
