// Mean kinetic temperature (domain.md §2.1, USP <1079.2>): the single temperature that would cause
// the same thermal degradation as the varying temperatures observed,
//   T_K = (ΔH/R) / −ln( Σ wᵢ·exp(−ΔH/(R·Tᵢ)) / Σ wᵢ ),  T in kelvin, wᵢ the weight (duration) of sample i.
// With equal weights this is the textbook equal-interval formula.

/** R in J/(mol·K), as domain.md quotes it (8.3144 × 10⁻³ kJ/(K·mol)). */
export const GAS_CONSTANT_J_PER_MOL_K = 8.3144;
/** ΔH "unless more accurate information is available": ΔH/R = 10,000 K exactly with R above. */
export const DEFAULT_ACTIVATION_ENERGY_KJ_MOL = 83.144;
export const KELVIN_OFFSET = 273.15;

/** ΔH/R in kelvin for an activation energy in kJ/mol. */
export const activationKelvin = (kjPerMol: number): number => (kjPerMol * 1000) / GAS_CONSTANT_J_PER_MOL_K;

/** ΔH/R of the default activation energy (10,000 K); the rollups keep Σ exp(−ΔH/RT) for this one. */
export const DEFAULT_ACTIVATION_KELVIN = 10_000;

/** exp(−ΔH/(R·T)) for a temperature in °C: one sample's Arrhenius term. */
export const arrheniusTerm = (celsius: number, activationK: number): number =>
  Math.exp(-activationK / (celsius + KELVIN_OFFSET));

/**
 * MKT in °C from Σ wᵢ·termᵢ and Σ wᵢ (any weight unit: they cancel); null without weight.
 * Summing terms first lets rollup rows and raw readings be mixed freely.
 */
export const mktFromSums = (
  weightedTermSum: number,
  weightSum: number,
  activationK: number,
): number | null => {
  if (!(weightSum > 0) || !(weightedTermSum > 0)) return null;
  return activationK / -Math.log(weightedTermSum / weightSum) - KELVIN_OFFSET;
};

/** MKT in °C of samples with weights (durations); null when the weights sum to zero. */
export const meanKineticTemperature = (
  samples: ReadonlyArray<{ celsius: number; weight: number }>,
  activationK: number = DEFAULT_ACTIVATION_KELVIN,
): number | null => {
  let terms = 0;
  let weights = 0;
  for (const s of samples) {
    terms += s.weight * arrheniusTerm(s.celsius, activationK);
    weights += s.weight;
  }
  return mktFromSums(terms, weights, activationK);
};
