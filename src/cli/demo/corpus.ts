/**
 * Built-in text the demo's tiny tokenizer is trained on (no files to download or commit). Short,
 * public-domain style scientific prose plus example SMILES strings, protein and DNA sequences.
 *
 * @module
 */

/** English / scientific prose for the byte-level BPE. */
export const DEMO_TEXT = `
Intern-S1 is a scientific multimodal model. It reads text, images and time series, and it
understands molecules written as SMILES strings, protein sequences and nucleic acids.
The molecule benzaldehyde can be written as C1=CC=C(C=C1)C=O and aspirin as CC(=O)OC1=CC=CC=C1C(=O)O.
Describe the structure of the molecule and predict its solubility in water.
The protein sequence below folds into an alpha helix followed by two beta strands.
Analyse the seismic signal sampled at one hundred hertz and report the arrival of the first wave.
The image shows a crystal under a microscope; count the grains and estimate their mean size.
A transformer layer applies attention, then a feed-forward network, each with a residual connection.
The mixture of experts routes every token to a few experts chosen by a learned router.
Temperature, pressure and concentration determine the rate of a chemical reaction.
The quick brown fox jumps over the lazy dog while the scientist measures the spectrum.
Question: what is the boiling point of ethanol at sea level? Answer: about 78 degrees Celsius.
`;

/** SMILES strings for the SMILES sub-tokenizer. */
export const DEMO_SMILES = [
  'C1=CC=C(C=C1)C=O', 'CC(=O)OC1=CC=CC=C1C(=O)O', 'CCO', 'CC(C)CC1=CC=C(C=C1)C(C)C(=O)O', 'C1CCCCC1',
  'CN1C=NC2=C1C(=O)N(C(=O)N2C)C', 'O=C(O)C(N)CC1=CC=CC=C1', 'CC(C)(C)OC(=O)N[C@@H](C)C(=O)O', 'ClC1=CC=CC=C1Br',
  'C[C@H](N)C(=O)O', 'OCC(O)CO', 'C#N', 'N#CC1=CC=CC=C1', 'CC1=CC=CC=C1C=O', 'FC(F)(F)C1=CC=CC=C1',
];

/** Protein sequences for the protein sub-tokenizer. */
export const DEMO_PROTEINS = [
  'MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQFEVVHSLAKWKRQTLGQHDFSAGEGLYTHMKALRPDEDRLSPLHSVYVDQWDWERVMGDGERQFSTLKSTVEAIWAGIKATEAAVSEEFGLAPFLPDQIHFVHSQELLSRYPDLDAKGRERAIAKDLGAVFLVGIGGKLSDGHRHDVRAPDYDDWUAAGLYV',
  'MAHHHHHHVDDDDKMLEELLKRAGEEYGKALVKALEEAGYSDEEIEKIAKLLGVSPEEIEKAVKEAL',
  'GSHMLEDPVDAFQLGLRTLLAVAGKAQNGALQGLDAAAKRLLNEGVSAQ',
];

/** DNA / RNA sequences for the nucleic-acid sub-tokenizer. */
export const DEMO_NUCLEIC = [
  'ATGCGTACGTTAGCATGCATGCATGCATGCAAGGCTTAACGT', 'GGGCCCAAATTTGCGCATATCGCGATCGATCGTAGCTAGCTA',
  'AUGGCUACGUAGCUAGCUAGGCUAAUCGAUCG', 'TTAGGGTTAGGGTTAGGGTTAGGGCCCTAACCCTAA',
];
