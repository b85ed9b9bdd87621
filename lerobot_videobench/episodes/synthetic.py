"""Synthetic tabletop footage for the built-in sample: content that loads an encoder the way robot
camera footage does (textured table and objects, an arm moving with motion blur, its shadow, sensor
noise, a lighting change, a moving wrist camera), deterministic from a seed and fast (vectorised numpy).

The same scene has exact depth (:meth:`TabletopScene.depth_frames`), as a depth camera beside the
``top`` one would see it: the tilted table plane, the back wall behind a gap, the floor beside the
table, raised blocks, a hollow cup and a ball, the arm, sharp edges everywhere, and the invalid (0)
pixels real sensors return: projector shadow strips beside raised objects and far-range dropouts.

It is *synthetic*: good for trying the workbench out of the box, not for choosing settings for a real
robot. Frames are produced lazily, one at a time, so memory stays flat whatever the length.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cell: int) -> np.ndarray:
    """Value noise: a coarse random grid upsampled bilinearly to (h, w), values in [0, 1]."""
    gh, gw = h // cell + 2, w // cell + 2
    grid = rng.random((gh, gw))
    ys = np.linspace(0, gh - 2, h, endpoint=False)
    xs = np.linspace(0, gw - 2, w, endpoint=False)
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    a = grid[y0][:, x0]
    b = grid[y0][:, x0 + 1]
    c = grid[y0 + 1][:, x0]
    d = grid[y0 + 1][:, x0 + 1]
    fy, fx = fy * fy * (3 - 2 * fy), fx * fx * (3 - 2 * fx)  # smoothstep: no grid artefacts
    return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy


#: Objects on the table: shape, centre (fraction of the world), half-size (world pixels), colour, and the
#: height above the table in mm for depth (None: a ball, as high as it is wide). Shared by the RGB and the
#: depth rendering, so both see one geometry.
_OBJECTS = (
    ("rect", (0.30, 0.55), (110, 80), (0.80, 0.15, 0.12), 60.0),  # a red block
    ("rect", (0.62, 0.70), (90, 90), (0.15, 0.35, 0.80), 45.0),  # a blue block
    ("circle", (0.75, 0.38), (70, 0), (0.92, 0.90, 0.85), 95.0),  # a cup: a rim around a hollow
    ("rect", (0.45, 0.30), (220, 140), (0.25, 0.55, 0.30), 4.0),  # a cloth
    ("circle", (0.20, 0.25), (45, 0), (0.95, 0.75, 0.10), None),  # a ball
)
#: Depth geometry, in top-view pixels (u right, v down; the top view is u 0..W, v 0..H) and mm.
MM_PER_PX = 1.5  # table millimetres per top-view pixel
TABLE_NEAR_MM = 780.0  # depth of the table at the bottom row of the top view
TABLE_SLOPE_MM = 0.45  # per row upwards: the camera looks down at an angle
TABLE_ROLL_MM = 0.04  # per column: a slight roll
TABLE_FAR_V = -50.0  # the table's far edge (above the top view)
TABLE_SIDES_U = (-60.0, 700.0)  # the table's side edges (beside the top view)
FLOOR_BELOW_MM = 720.0  # the floor, below the table
WALL_MM = 1450.0  # the back wall, behind a gap
ARM_HEIGHTS_MM = (380.0, 220.0, 70.0)  # above the table at the base, elbow and gripper
FINGER_HEIGHT_MM = 40.0
SHADOW_PX_PER_MM = 0.12  # width of a projector shadow strip per mm of height


def _capsule_distance(px: np.ndarray, py: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from every pixel to the segment a-b."""
    ab = b - a
    t = np.clip(((px - a[0]) * ab[0] + (py - a[1]) * ab[1]) / max(float(ab @ ab), 1e-9), 0.0, 1.0)
    return np.hypot(px - (a[0] + t * ab[0]), py - (a[1] + t * ab[1]))


@dataclass(frozen=True)
class TabletopScene:
    """A tabletop world seen by a fixed ``top`` camera and a ``wrist`` camera carried by the arm.

    The world is rendered once at twice the top camera's resolution; the top view is its 2x2 average
    plus the arm, the wrist view a crop that follows the gripper (so the whole frame moves, the hard
    case for inter prediction). ``noise_sigma`` is the sensor noise in 8-bit levels (luma-correlated,
    on 2x2 photosites, as after a camera's demosaicing).
    """

    seed: int = 0
    top_size: tuple[int, int] = (640, 480)
    wrist_size: tuple[int, int] = (320, 240)
    fps: int = 30
    subframes: int = 4
    noise_sigma: float = 1.0
    light_change_s: float = 0.3

    # ------------------------------------------------------------------ static world
    def _world(self) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        w, h = self.top_size[0] * 2, self.top_size[1] * 2
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        # wood: low-frequency variation + stretched grain + fine texture
        base = 0.6 * _smooth_noise(rng, h, w, 160) + 0.4 * _smooth_noise(rng, h, w, 40)
        grain = np.sin((yy + 30 * _smooth_noise(rng, h, w, 120)) * 0.35) * 0.5 + 0.5
        fine = _smooth_noise(rng, h, w, 3)
        lum = 0.55 + 0.18 * base + 0.10 * grain + 0.06 * fine
        world = np.stack([lum * 0.78, lum * 0.56, lum * 0.36], axis=-1).astype(np.float32)
        # objects: blocks, a cup, a cloth, each with a soft contact shadow
        for shape, (cx, cy), (sx, sy), color, _ in _OBJECTS:
            cx, cy = cx * w, cy * h
            if shape == "rect":
                inside = np.maximum(np.abs(xx - cx) / sx, np.abs(yy - cy) / sy)
                shadow = np.maximum(np.abs(xx - cx - 14) / (sx + 10), np.abs(yy - cy - 14) / (sy + 10))
            else:
                inside = np.hypot(xx - cx, yy - cy) / sx
                shadow = np.hypot(xx - cx - 14, yy - cy - 14) / (sx + 10)
            world *= (1 - 0.35 * np.clip(1.5 - shadow * 1.5, 0, 1))[..., None]
            alpha = np.clip((1 - inside) * 40, 0, 1)[..., None]
            tex = 0.85 + 0.15 * _smooth_noise(rng, h, w, 12)[..., None]
            shade = (1 - 0.25 * np.clip(inside, 0, 1))[..., None]  # rounded look
            world = world * (1 - alpha) + alpha * np.asarray(color, np.float32) * tex * shade
        # a printed checker marker, sharp edges that encoders must keep
        m = (slice(int(0.08 * h), int(0.08 * h) + 96), slice(int(0.85 * w), int(0.85 * w) + 96))
        checker = ((yy[m] // 16 + xx[m] // 16) % 2).astype(np.float32)[..., None]
        world[m] = 0.08 + 0.85 * checker
        return world

    # ------------------------------------------------------------------ motion
    def _arm(self, t: float, duration: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """Base, elbow and gripper positions (top-view pixels) and the gripper opening at time ``t``."""
        w, h = self.top_size
        phase = 2 * np.pi * t / duration
        base = np.array([0.5 * w, -0.05 * h])
        a1 = np.pi / 2 + 0.40 * np.sin(phase + 0.3 * self.seed)
        a2 = a1 - 0.9 + 0.45 * np.sin(2 * phase + 1.0)
        l1, l2 = 0.42 * h, 0.40 * h
        elbow = base + l1 * np.array([np.cos(a1), np.sin(a1)])
        grip = elbow + l2 * np.array([np.cos(a2), np.sin(a2)])
        opening = 0.5 + 0.5 * np.sin(3 * phase)
        return base, elbow, grip, float(opening)

    def _light(self, t: float, duration: float) -> np.ndarray:
        """Global gain per channel: a light dims and warms over ``light_change_s`` mid-episode (a fade)."""
        x = np.clip((t - 0.45 * duration) / self.light_change_s, 0, 1)
        ramp = x * x * (3 - 2 * x)
        return np.array([1.0 - 0.20 * ramp, 1.0 - 0.26 * ramp, 1.0 - 0.34 * ramp], np.float32)

    def _render_arm(
        self, px: np.ndarray, py: np.ndarray, times: list[float], duration: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Arm coverage, its shadow and its shaded colour on a pixel grid, averaged over sub-frames
        (motion blur)."""
        cover = np.zeros(px.shape, np.float32)
        shadow = np.zeros(px.shape, np.float32)
        shade = np.zeros(px.shape, np.float32)
        for t in times:
            base, elbow, grip, opening = self._arm(t, duration)
            d = np.minimum(_capsule_distance(px, py, base, elbow) / 26, _capsule_distance(px, py, elbow, grip) / 20)
            perp = np.array([-(grip - elbow)[1], (grip - elbow)[0]]) / max(np.hypot(*(grip - elbow)), 1e-6)
            tip = grip + 0.12 * (grip - elbow)
            for sgn in (-1, 1):  # gripper fingers, opening and closing
                off = sgn * (8 + 14 * opening) * perp
                d = np.minimum(d, _capsule_distance(px, py, grip + off, tip + off) / 7)
            a = np.clip((1 - d) * 6, 0, 1)
            cover += a
            shade += a * np.clip(1.2 - d, 0.4, 1.0)
            ds = np.minimum(
                _capsule_distance(px, py, base + 18, elbow + 18) / 30,
                _capsule_distance(px, py, elbow + 18, grip + 18) / 24,
            )
            shadow += np.clip((1 - ds) * 3, 0, 1)
        arm_color = np.array([0.62, 0.64, 0.68], np.float32) * (shade / np.maximum(cover, 1e-6))[..., None]
        return cover / len(times), shadow / len(times), arm_color

    # ------------------------------------------------------------------ rendering
    def depth_frames(
        self, num_frames: int, episode: int = 0, size: tuple[int, int] = (320, 240)
    ) -> Iterator[np.ndarray]:
        """``num_frames`` exact depth frames (HxW ``uint16`` mm, 0 = no return) of a depth camera beside the
        ``top`` camera (see :func:`depth_view_grid`), ``size`` = (width, height), for ``episode``: the arm
        moves as in the RGB cameras (at the middle of their motion blur)."""
        return _depth_frames(self, num_frames, episode, size)

    def frames(self, camera: str, num_frames: int, episode: int = 0) -> Iterator[np.ndarray]:
        """``num_frames`` RGB uint8 frames of ``camera`` (``top`` or ``wrist``) for ``episode``."""
        if camera not in ("top", "wrist"):
            raise ValueError(f"camera={camera!r} is not a camera of the scene; allowed: ['top', 'wrist']")
        world = self._world()
        rng = np.random.default_rng([self.seed, episode, 0 if camera == "top" else 1])
        duration = num_frames / self.fps * (1.0 + 0.15 * episode)  # episodes differ in pace
        offset = 0.37 * episode * duration
        if camera == "top":
            w, h = self.top_size
            view = world.reshape(h, 2, w, 2, 3).mean(axis=(1, 3))
            py, px = np.mgrid[0:h, 0:w].astype(np.float32)
        else:
            w, h = self.wrist_size
            gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
        for i in range(num_frames):
            times = [offset + (i + k / self.subframes) / self.fps for k in range(self.subframes)]
            light = self._light(i / self.fps, num_frames / self.fps)
            if camera == "top":
                # the arm only touches a window of the frame: render there (3-5x faster)
                pts = np.concatenate([np.stack(self._arm(t, duration)[:3]) for t in times])
                x0, y0 = np.clip(np.floor(pts.min(axis=0) - 60), 0, [w, h]).astype(int)
                x1, y1 = np.clip(np.ceil(pts.max(axis=0) + 80), 0, [w, h]).astype(int)
                img = view.copy()
                if x1 > x0 and y1 > y0:
                    win = (slice(y0, y1), slice(x0, x1))
                    cover, shadow, arm_color = self._render_arm(px[win], py[win], times, duration)
                    patch = view[win] * (1 - 0.4 * shadow)[..., None]
                    img[win] = patch * (1 - cover[..., None]) + cover[..., None] * arm_color
            else:
                parts = []
                for t in times:
                    _, elbow, grip, opening = self._arm(t, duration)
                    cx, cy = grip * 2  # world pixels
                    x0 = int(np.clip(cx - w / 2, 0, world.shape[1] - w))
                    y0 = int(np.clip(cy - h / 3, 0, world.shape[0] - h))
                    parts.append(world[y0 : y0 + h, x0 : x0 + w])
                img = np.mean(parts, axis=0)
                # the gripper fingers in view
                _, _, _, opening = self._arm(times[0], duration)
                for sgn in (-1, 1):
                    fx = w / 2 + sgn * (0.12 + 0.18 * opening) * w
                    finger = np.clip(1 - np.maximum(np.abs(gx - fx) / (0.06 * w), (h - gy) / (0.35 * h)) , 0, 1)
                    finger = np.clip(finger * 8, 0, 1)[..., None]
                    img = img * (1 - finger) + finger * (0.18 + 0.1 * (gy / h))[..., None]
            img = np.clip(img * light, 0.0, 1.0) * 255.0 + 0.5
            # temporal sensor noise in whole 8-bit levels on 2x2 photosites, the same on R, G and B
            noise = np.rint(rng.normal(0.0, self.noise_sigma, (h // 2, w // 2, 1))).astype(np.float32)
            img = np.floor(img) + np.repeat(np.repeat(noise, 2, axis=0), 2, axis=1)
            yield np.clip(img, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------- depth
def _segment_t(px: np.ndarray, py: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where along the segment a-b (0..1) each pixel's nearest point lies."""
    ab = b - a
    return np.clip(((px - a[0]) * ab[0] + (py - a[1]) * ab[1]) / max(float(ab @ ab), 1e-9), 0.0, 1.0)


def _footprint(shape: str, cx: float, cy: float, sx: float, sy: float, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """An object's footprint in top-view pixels (its world centre and half-size are halved)."""
    cx, cy, sx, sy = cx / 2, cy / 2, sx / 2, sy / 2
    if shape == "rect":
        return np.maximum(np.abs(u - cx) / sx, np.abs(v - cy) / sy) < 1.0
    return np.hypot(u - cx, v - cy) < sx


def depth_view_grid(size: tuple[int, int], top_size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Top-view coordinates (u, v) of every depth pixel: the depth camera sits beside the ``top`` camera
    with a wider field of view (as RealSense depth's is wider than its colour's), so it sees the top view
    plus a margin: the table's sides, the floor, and the back wall above."""
    w, h = size
    tw, th = top_size
    span_u = tw * 1.25
    span_v = span_u * h / w
    u0, v0 = (tw - span_u) / 2, th + 0.02 * th - span_v  # a little below the top view's bottom row
    v, u = np.mgrid[0:h, 0:w].astype(np.float64)
    return u0 + (u + 0.5) * span_u / w, v0 + (v + 0.5) * span_v / h


def _depth_frames(scene: TabletopScene, num_frames: int, episode: int, size: tuple[int, int]) -> Iterator[np.ndarray]:
    tw, th = scene.top_size
    sx_, sy_ = tw / 640.0, th / 480.0  # the geometry is defined at 640x480; other sizes scale it
    u, v = depth_view_grid(size, scene.top_size)
    u, v = u / sx_, v / sy_
    table = TABLE_NEAR_MM + TABLE_SLOPE_MM * (480.0 - v) + TABLE_ROLL_MM * (u - 320.0)
    on_table = (v >= TABLE_FAR_V) & (u >= TABLE_SIDES_U[0]) & (u < TABLE_SIDES_U[1])
    wall = WALL_MM + 0.30 * (TABLE_FAR_V - v) + TABLE_ROLL_MM * (u - 320.0)
    floor = table + FLOOR_BELOW_MM
    static = np.where(on_table, table, np.where(v < TABLE_FAR_V - 10, wall, floor))
    shadow = np.zeros(u.shape, bool)
    wu, wv = u * 2, v * 2  # world pixels
    for shape, (cx, cy), (sx, sy), _, height in _OBJECTS:
        cx, cy = cx * 1280, cy * 960
        inside = _footprint(shape, cx, cy, sx, sy, u, v)
        if height is None:  # a ball: a sphere resting on the table
            r = sx / 2 * MM_PER_PX
            rho = np.hypot(u - cx / 2, v - cy / 2) * MM_PER_PX
            surface = table - r - np.sqrt(np.clip(r * r - rho * rho, 0, None))
            height = 2 * r
        elif shape == "circle" and height > 50:  # a cup: a rim 8 px thick around a hollow 12 mm deep
            rho = np.hypot(u - cx / 2, v - cy / 2)
            surface = np.where(rho > sx / 2 - 8, table - height, table - 12.0)
        else:
            ripple = 2.0 * np.sin(wu / 37.0) * np.cos(wv / 23.0) if height < 10 else 0.0  # a cloth's folds
            surface = table - height - ripple
        static = np.where(inside, np.minimum(static, surface), static)
        # the projector beside the lens casts a strip to the left that the camera sees but the light misses
        reach = SHADOW_PX_PER_MM * height
        shadow |= _footprint(shape, cx + 2 * reach, cy, sx, sy, u, v) & ~inside
    static = np.where(shadow, 0.0, static)
    rng_static = np.random.default_rng([scene.seed, 7])
    far = static > WALL_MM - 100
    # far-range dropouts: a fixed speckle on the wall (more the farther), plus a little flicker per frame
    speckle = far & (rng_static.random(u.shape) < 0.02 + 0.04 * np.clip((static - WALL_MM) / 60.0, 0, 1))
    static = np.where(speckle, 0.0, static)
    rng = np.random.default_rng([scene.seed, episode, 2])
    duration = num_frames / scene.fps * (1.0 + 0.15 * episode)  # the RGB cameras' pace and offset
    offset = 0.37 * episode * duration
    mid = (scene.subframes - 1) / (2 * scene.subframes)  # the middle of the RGB frames' motion blur
    for i in range(num_frames):
        t = offset + (i + mid) / scene.fps
        base, elbow, grip, opening = scene._arm(t, duration)
        base, elbow, grip = base / [sx_, sy_], elbow / [sx_, sy_], grip / [sx_, sy_]
        arm = np.full(u.shape, np.inf)
        segments = [(base, elbow, 26.0, ARM_HEIGHTS_MM[:2]), (elbow, grip, 20.0, ARM_HEIGHTS_MM[1:])]
        perp = np.array([-(grip - elbow)[1], (grip - elbow)[0]]) / max(np.hypot(*(grip - elbow)), 1e-6)
        tip = grip + 0.12 * (grip - elbow)
        for sgn in (-1, 1):  # gripper fingers, as in the RGB
            off = sgn * (8 + 14 * opening) * perp
            segments.append((grip + off, tip + off, 7.0, (FINGER_HEIGHT_MM, FINGER_HEIGHT_MM)))
        arm_shadow = np.zeros(u.shape, bool)
        for a, b, radius, (h0, h1) in segments:
            dist = _capsule_distance(u, v, a, b)
            tt = _segment_t(u, v, a, b)
            axis = h0 + (h1 - h0) * tt
            r_mm = radius * MM_PER_PX
            d_mm = dist * MM_PER_PX
            on = dist < radius
            surface = table - axis - np.sqrt(np.clip(r_mm * r_mm - d_mm * d_mm, 0, None))
            arm = np.where(on, np.minimum(arm, surface), arm)
            reach = SHADOW_PX_PER_MM * float(np.mean((h0, h1))) * 0.5
            arm_shadow |= _capsule_distance(u + reach, v, a, b) < radius
        depth = np.where(np.isfinite(arm), arm, np.where(arm_shadow, 0.0, static))
        flicker = far & (rng.random(u.shape) < 0.01)
        depth = np.where(flicker, 0.0, depth)
        yield np.clip(np.rint(depth), 0, 65535).astype(np.uint16)
