import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** How one photo is made: as phones and cameras write them. */
interface PhotoSpec {
  width: number;
  height: number;
  quality: number;
  progressive: boolean;
  /** JPEG chroma subsampling: `2x2` (4:2:0, most cameras), `2x1` (4:2:2), `1x1` (4:4:4). */
  sample: '2x2' | '2x1' | '1x1';
  /** EXIF orientation 1..8: how a viewer should turn the stored pixels. */
  orientation: number;
  make: string;
  model: string;
  gps: boolean;
  pattern: string;
}

const SPECS: PhotoSpec[] = [
  {
    width: 640,
    height: 480,
    quality: 85,
    progressive: false,
    sample: '2x2',
    orientation: 1,
    make: 'Olympus',
    model: 'EVIS X1 still',
    gps: false,
    pattern: 'smpte',
  },
  {
    width: 1600,
    height: 1200,
    quality: 90,
    progressive: true,
    sample: '2x2',
    orientation: 3,
    make: 'Canon',
    model: 'PowerShot G7 X',
    gps: false,
    pattern: 'ball',
  },
  {
    width: 3264,
    height: 2448,
    quality: 92,
    progressive: false,
    sample: '1x1',
    orientation: 6,
    make: 'Nikon',
    model: 'D750',
    gps: true,
    pattern: 'pinwheel',
  },
  {
    width: 4032,
    height: 3024,
    quality: 95,
    progressive: true,
    sample: '2x2',
    orientation: 8,
    make: 'Apple',
    model: 'iPhone 12',
    gps: true,
    pattern: 'gradient',
  },
  {
    width: 1080,
    height: 1920,
    quality: 80,
    progressive: true,
    sample: '2x1',
    orientation: 1,
    make: 'Samsung',
    model: 'SM-G991B',
    gps: true,
    pattern: 'colors',
  },
  {
    width: 1280,
    height: 1024,
    quality: 88,
    progressive: false,
    sample: '2x1',
    orientation: 1,
    make: 'Fujifilm',
    model: 'VP-7000 capture',
    gps: false,
    pattern: 'zone-plate',
  },
];

/**
 * Camera-like JPEG photos, made at test time: VGA to 12 MP, landscape and portrait, baseline and
 * progressive, 4:2:0, 4:2:2 and 4:4:4, each with EXIF as cameras write it (maker, model, dates, GPS,
 * an orientation, and an embedded thumbnail). Needs GStreamer, `cjpeg` (libjpeg-turbo-progs) and
 * `exiftool` (libimage-exiftool-perl), all from apt. Returns the files' bytes.
 */
export async function makePhotos(dir: string): Promise<{ name: string; bytes: Buffer }[]> {
  return Promise.all(
    SPECS.map(async (s, i) => {
      const ppm = join(dir, `photo-${i}.ppm`);
      const jpeg = join(dir, `photo-${i}.jpg`);
      const thumb = join(dir, `photo-${i}-thumb.jpg`);
      const picture = (width: number, height: number, path: string) =>
        run('gst-launch-1.0', [
          '-q',
          'videotestsrc',
          `pattern=${s.pattern}`,
          'num-buffers=1',
          '!',
          `video/x-raw,format=RGB,width=${width},height=${height}`,
          '!',
          'pnmenc',
          '!',
          'filesink',
          `location=${path}`,
        ]);
      await picture(s.width, s.height, ppm);
      await picture(160, Math.round((160 * s.height) / s.width), `${thumb}.ppm`);
      await run('cjpeg', ['-quality', '75', '-outfile', thumb, `${thumb}.ppm`]);
      await run('cjpeg', [
        '-quality',
        String(s.quality),
        ...(s.progressive ? ['-progressive'] : []),
        '-sample',
        s.sample,
        '-outfile',
        jpeg,
        ppm,
      ]);
      await run('exiftool', [
        '-overwrite_original',
        '-q',
        `-Make=${s.make}`,
        `-Model=${s.model}`,
        '-DateTimeOriginal=2026:11:30 10:15:00',
        '-CreateDate=2026:11:30 10:15:00',
        `-Orientation#=${s.orientation}`,
        '-Artist=Endoscopy unit 3',
        '-ImageDescription=still from the tower',
        ...(s.gps
          ? ['-GPSLatitude=51.5072', '-GPSLatitudeRef=N', '-GPSLongitude=0.1276', '-GPSLongitudeRef=W']
          : []),
        `-ThumbnailImage<=${thumb}`,
        jpeg,
      ]);
      return { name: `${s.width}x${s.height} ${s.make} ${s.model}`, bytes: readFileSync(jpeg) };
    }),
  );
}
