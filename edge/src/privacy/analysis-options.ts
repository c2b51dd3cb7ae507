import type { AnalyzerOptions } from '@gic/shared/analysis/load-analyzer.js';
import type { PrivacyMode } from '@gic/shared/analysis/privacy/privacy-mask.js';
import type { Logger } from '@gic/shared/logging/logger.js';
import type { PrivacyLayer } from '../config.js';

/**
 * How the analysis serves the device's privacy settings: in `off` mode there is no picture to tell
 * the tower's overlay from the image, so every text line is read before it is masked; the layers
 * switched off for measurement (GIC_PRIVACY_LAYERS_OFF) take the old way.
 */
export function analysisOptions(
  privacy: { mode: PrivacyMode; layersOff: PrivacyLayer[] },
  log: Logger,
): AnalyzerOptions {
  const { mode, layersOff } = privacy;
  if (layersOff.length > 0) {
    log.warn({ layersOff }, 'privacy layers switched off (GIC_PRIVACY_LAYERS_OFF): for measurement only');
  }
  return {
    stretchedText: layersOff.includes('resolution'),
    privacy: {
      recognise: layersOff.includes('recogniser')
        ? 'never'
        : mode === 'off'
          ? 'everywhere'
          : 'inside-picture',
    },
  };
}
