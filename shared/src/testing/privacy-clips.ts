/**
 * The tower-style clips the privacy tests and bench run: three towers (5:4 octagon at 1280x1024, a
 * round 4:3 picture at 1080p, a 16:9 octagon at 720p), fake patient banners in several fonts and sizes
 * (10 to 40 px), on one and two lines, white on black, black on white and shaded, a running clock, small
 * grey text in each corner, and banners that blink off for a second (one in the border, one over the
 * picture); over generated mucosa with
 * highlights that a text detector takes for print. Every identifier is made up.
 */
import type { OsdText, TowerClipOptions } from './tower-clip.js';

export interface PrivacyClip {
  name: string;
  options: TowerClipOptions;
  /** Made-up identifiers burned into it; none may be readable once masked. */
  identifiers: string[];
  /** Identifiers by shape rather than value: the running clock. */
  patterns: RegExp[];
  /** Whether any text lies inside the picture (such a clip does not count for the false-mask figure). */
  textInPicture: boolean;
  /** Clip times (s) where the oracle must look closely (a blink). */
  watch: [number, number][];
}

const grey: [number, number, number] = [150, 150, 150];
/** 14:32:07 at the clip's start, running. */
const clock = (seconds: number) => {
  const s = 7 + Math.floor(seconds);
  return `14:32:${String(s).padStart(2, '0')}`;
};
const CLOCK = /\b1\d[:.]3\d[:.][0-5]\d\b/;

const corners = (width: number, height: number): OsdText[] => [
  {
    text: 'Dr PEMBERTON',
    font: 'DejaVu Serif',
    sizePx: 11,
    x: width - 120,
    y: 10,
    style: 'plain',
    colour: grey,
  },
  {
    text: 'ST ELSEWHERE GENERAL',
    font: 'FreeSans',
    sizePx: 10,
    x: width - 150,
    y: height - 24,
    style: 'plain',
    colour: grey,
  },
  {
    text: 'ENDO SUITE 3',
    font: 'Noto Mono',
    sizePx: 10,
    x: 12,
    y: height - 24,
    style: 'plain',
    colour: grey,
  },
];

export const privacyClips = (seconds = 8): PrivacyClip[] => [
  {
    name: 'tower 5:4 octagon, 1280x1024, two-line bold banner',
    options: {
      width: 1280,
      height: 1024,
      fps: 15,
      seconds,
      seed: 11,
      picture: { shape: 'octagon', aspect: 1.25, heightShare: 0.8, centreX: 0.57 },
      texts: [
        {
          text: 'KOWALCZYK, MAGDALENA\nDOB 1961-03-14  MRN 00784213',
          font: 'DejaVu Sans Bold',
          sizePx: 28,
          x: 20,
          y: 14,
          style: 'white-on-black',
        },
        // The tower's date and time, small, in the border beside the picture.
        {
          text: '2019-06-21',
          font: 'Liberation Sans',
          sizePx: 12,
          x: 14,
          y: 900,
          style: 'plain',
          colour: grey,
        },
        { text: clock, font: 'DejaVu Sans Mono', sizePx: 12, x: 14, y: 920, style: 'plain', colour: grey },
        {
          text: 'Dr PEMBERTON',
          font: 'DejaVu Serif',
          sizePx: 11,
          x: 1150,
          y: 10,
          style: 'plain',
          colour: grey,
        },
        {
          text: 'ST ELSEWHERE GENERAL',
          font: 'FreeSans',
          sizePx: 10,
          x: 1120,
          y: 1000,
          style: 'plain',
          colour: grey,
        },
      ],
    },
    identifiers: ['KOWALCZYK', 'MAGDALENA', '1961', '00784213', '2019', 'PEMBERTON', 'ELSEWHERE'],
    patterns: [CLOCK],
    textInPicture: false,
    watch: [],
  },
  {
    name: 'tower 4:3 round, 1920x1080, black on white banner that blinks, shaded footer',
    options: {
      width: 1920,
      height: 1080,
      fps: 15,
      seconds,
      seed: 23,
      picture: { shape: 'round', aspect: 4 / 3, heightShare: 0.86, centreX: 0.55 },
      texts: [
        {
          text: 'OYELARAN-NAKAGAWA, THEODORA  1958-11-02',
          font: 'Liberation Sans',
          sizePx: 22,
          x: 24,
          y: 20,
          style: 'black-on-white',
          // Off for one second, as some towers blink a banner when a field is edited.
          hidden: (t) => t >= 3.5 && t < 4.5,
        },
        { text: 'MRN 40091377', font: 'Liberation Mono', sizePx: 16, x: 24, y: 1010, style: 'shaded' },
        { text: clock, font: 'DejaVu Sans Mono', sizePx: 14, x: 24, y: 60, style: 'plain', colour: grey },
        // A short field alone in the border: small print a detector can miss, which only the
        // field-of-view layer is sure to cover.
        {
          text: '1958',
          font: 'Noto Mono',
          sizePx: 10,
          x: 30,
          y: 940,
          style: 'plain',
          colour: [140, 140, 140],
        },
        ...corners(1920, 1080).slice(0, 2),
      ],
    },
    identifiers: ['OYELARAN', 'NAKAGAWA', 'THEODORA', '1958', '40091377', 'PEMBERTON', 'ELSEWHERE'],
    patterns: [CLOCK],
    textInPicture: false,
    watch: [[1.8, 5]],
  },
  {
    name: 'tower 16:9 octagon, 1280x720, text over the picture, a banner that blinks',
    options: {
      width: 1280,
      height: 720,
      fps: 15,
      seconds,
      seed: 37,
      picture: { shape: 'octagon', aspect: 16 / 9, heightShare: 0.88, centreX: 0.5 },
      texts: [
        // A banner over the picture that blinks off for a second, and a large number over its bottom.
        {
          text: 'KOWALCZYK M  1961-03-14',
          font: 'DejaVu Sans',
          sizePx: 20,
          x: 420,
          y: 150,
          style: 'black-on-white',
          hidden: (t) => t >= 3.5 && t < 4.5,
        },
        { text: '00784213', font: 'DejaVu Sans Bold', sizePx: 40, x: 760, y: 560, style: 'plain' },
        // Small print over the picture: what a detector fed a shrunken frame does not see.
        { text: 'KOWALCZYK M 00784213', font: 'DejaVu Sans', sizePx: 10, x: 430, y: 420, style: 'shaded' },
        ...corners(1280, 720),
      ],
    },
    identifiers: ['KOWALCZYK', '1961', '00784213', 'PEMBERTON', 'ELSEWHERE'],
    patterns: [],
    textInPicture: true,
    // The recorder runs 1.5 s behind: a mask lifted during the blink would show the banner before it.
    watch: [[1.8, 5]],
  },
];
