// The page and the hub's review chat place a time in the recording the same way.
export * from '../../../src/procedures/playlist.js';
