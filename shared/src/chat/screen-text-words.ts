/**
 * Word lists the on-screen-text classifier (screen-identifiers.ts) and the answer guard
 * (answer-guard.ts) share. All lower case, without diacritics (see `foldWord`).
 */

/** A word compared without case or diacritics: "Müller" and "MULLER" are one word. */
export function foldWord(word: string): string {
  return word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

const words = (list: string) => new Set(list.trim().split(/\s+/));

/**
 * Labels that introduce a patient identifier on a tower's display or a report, in the languages
 * towers are sold in, with a few of the recogniser's usual misreads (`narne`, `patlent`). A line
 * holding one is withheld whole: what follows the label is the identifier.
 */
export const IDENTIFIER_LABELS = words(`
  name names narne surname forename firstname lastname patient patients patlent pt pat pid dob
  birth birthdate birthday born mrn ssn nhs chi ehr emr hospno accession acc case age sex gender
  address phone tel mr mrs ms miss dr doctor physician referring insurance
  vorname nachname familienname geb geboren geburtsdatum gebdat gebdatum geburtstag fall fallnr
  fallnummer aufnahme aufnahmenr alter geschlecht arzt anschrift versicherung herr frau
  nom prenom ne nee naissance ddn ipp dossier sexe medecin mme mlle
  nombre apellido apellidos paciente nacimiento nac nacido nacida nhc historia edad sexo medico
  sr sra dni
  nome cognome paziente nascita nato nata eta sesso cartella sig sigra
  naam geboortedatum geslacht leeftijd bsn dhr mevr
  nascimento idade prontuario cpf
  imie nazwisko pacjent urodzenia ur pesel wiek plec
  namn navn fodd fodt personnummer cpr alder
  id
`);

/** Labels in Chinese and Japanese (the recogniser reads both), found anywhere in a line. */
export const CJK_IDENTIFIER_LABELS = [
  '姓名',
  '名前',
  '氏名',
  '患者',
  '病人',
  '出生',
  '生年月日',
  '病历',
  '病歷',
  '住院',
  '门诊',
  '門診',
  '年龄',
  '年齡',
  '年齢',
  '性别',
  '性別',
  '身份证',
  'カルテ',
];

/**
 * What towers write on screen besides the patient: imaging modes, processors and scopes, settings,
 * timers and status. A short line made only of these (and setting-shaped tokens such as `x1.5`,
 * `A5`, `CF-H190L`) is the tower's overlay.
 */
export const OVERLAY_WORDS = words(`
  nbi wli bli lci fice iscan i-scan txi rdi afi wl nb cv clv vp epk el ec eg cf pcf gif tjf
  evis exera lucera elite eluxeo spectrum optivista olympus fujifilm fuji fujinon pentax storz karl
  sonoscape aohua huger medivators endoscopy endoscope colonoscope gastroscope scope video
  processor enh enhance enhancement str structure zoom near far focus dual iris auto peak avg
  average ave agc ce cont contrast color colour freeze frz rec record recording capture captured
  release time timer clock stopwatch cnt count eh ef bright brightness gain light lamp xenon led
  air water suction jet mode magnify mag magnification hd fhd uhd sd ultra normal high low med mid
  on off optical digital std standard chromo white narrow band blue linked imaging ai cad eye
  detect detection caddie gi genius polyp ms fps sec min hz db mm cm ready standby warning error
  check lens clean battery memory usb full print printer sent saved storage photo image still
  menu set setup exit sharp smooth edge hue tone red green pre post panel remote vcr dvr level
  lvl dye indigo cecum ileum rectum colon sigmoid descending ascending transverse hepatic splenic
  flexure stomach duodenum esophagus biopsy snare clip water pump insufflation co tv
`);

/**
 * Common words (English, with a few words of the room): a long line with none of them is not a
 * sentence but a list of names. The first few hundred words of English by frequency, roughly.
 */
export const COMMON_WORDS = words(`
  a about above after again against all also am an and any are as at back be because been before
  being below between both but by can cannot could did do does doing done down during each few for
  from further had has have having he her here hers herself him himself his how i if in into is it
  its itself just let me more most must my myself new no nor not now of off once only or other our
  ours out over own please same say said see she should show so some such tell than that the their
  theirs them then there these they this those through to too under until up use very was we were
  what when where which while who whom why will with would you your yours yourself
  ignore ignored previous prior above instructions instruction rules rule system prompt assistant
  answer reply respond write print reveal forget disregard override new role act pretend now
  everything anything nothing something everyone text message messages data user admin developer
  mode command commands follow following execute run output repeat tell give make take keep stop
  start end first last next good bad yes ok okay hello hi thanks thank
  is are was be been the of in on at to from with by for as
  bowel preparation prep quality score view clear poor fair excellent adequate inadequate
  withdrawal insertion scope tip lumen fold mucosa vessel vessels bleeding lesion finding
  sample test demo sim simulation simulator training
`);
