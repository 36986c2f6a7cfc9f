//===- WeightsObject.cpp - Model weights as their own ELF object ---------===//
//
// Layout of the object, in file order: the ELF header; the weights'
// section data; the symbol table (the null symbol, then one global hidden
// object symbol per weight); its string table; the section-name string
// table; the section headers (null, .rodata.attnc_weights or, on x86-64,
// .lrodata.attnc_weights (WeightsObject.h says why), .symtab,
// .strtab, .shstrtab, and an empty .note.GNU-stack, which tells the linker
// that the stack need not be executable).
//
//===----------------------------------------------------------------------===//

#include "compiler/cpu/WeightsObject.h"
#include "llvm/BinaryFormat/ELF.h"
#include <cstring>
#include <limits>

namespace attnc {

namespace {

namespace elf = llvm::ELF;

enum SectionIndex : unsigned { Null, Weights, SymbolTable, Strings, SectionNames, NoteStack, Count };

std::optional<uint16_t> machineOf(const llvm::Triple &triple) {
  switch (triple.getArch()) {
  case llvm::Triple::x86_64:
    return elf::EM_X86_64;
  case llvm::Triple::aarch64:
    return elf::EM_AARCH64;
  case llvm::Triple::riscv64:
    return elf::EM_RISCV;
  default:
    return std::nullopt;
  }
}

uint64_t alignTo(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

template <typename T> void writeRaw(llvm::raw_ostream &os, const T &value) {
  os.write(reinterpret_cast<const char *>(&value), sizeof(T));
}

void pad(llvm::raw_ostream &os, uint64_t &at, uint64_t to) {
  os.write_zeros(to - at);
  at = to;
}

/// A string table: the empty string first, then each added name.
struct StringTable {
  std::string bytes{'\0'};
  uint32_t add(llvm::StringRef name) {
    uint32_t offset = bytes.size();
    bytes.append(name.data(), name.size());
    bytes.push_back('\0');
    return offset;
  }
};

} // namespace

bool canWriteWeightsObject(const llvm::Triple &triple) {
  return triple.isOSBinFormatELF() && triple.isArch64Bit() && triple.isLittleEndian() &&
         machineOf(triple).has_value();
}

bool weightsAreLargeData(const llvm::Triple &triple) {
  return triple.getArch() == llvm::Triple::x86_64 && triple.isOSBinFormatELF();
}

std::vector<uint64_t> layOutWeights(const std::vector<DetachedWeight> &weights, uint64_t &size) {
  std::vector<uint64_t> offsets;
  size = 0;
  for (const DetachedWeight &weight : weights) {
    size = alignTo(size, std::max<uint64_t>(weight.alignment, 64));
    offsets.push_back(size);
    size += weight.bytes.size();
  }
  return offsets;
}

uint64_t weightsReach(const llvm::Triple &triple) {
  if (weightsAreLargeData(triple))
    return std::numeric_limits<uint64_t>::max();
  return triple.isAArch64() ? uint64_t(4) << 30 : uint64_t(2) << 30;
}

const DetachedWeight *firstWeightOutOfReach(const std::vector<DetachedWeight> &weights,
                                            const llvm::Triple &triple, uint64_t &end) {
  if (weightsAreLargeData(triple))
    return nullptr;
  uint64_t reach = weightsReach(triple);
  uint64_t headroom = uint64_t(64) << 20;
  uint64_t size;
  std::vector<uint64_t> offsets = layOutWeights(weights, size);
  for (auto [weight, offset] : llvm::zip(weights, offsets)) {
    end = offset + weight.bytes.size();
    if (end > reach - headroom)
      return &weight;
  }
  return nullptr;
}

void writeWeightsObject(const std::vector<DetachedWeight> &weights, const llvm::Triple &triple,
                        llvm::raw_ostream &os) {
  uint64_t dataSize;
  std::vector<uint64_t> offsets = layOutWeights(weights, dataSize);

  StringTable names, sectionNames;
  std::vector<elf::Elf64_Sym> symbols(1);
  std::memset(symbols.data(), 0, sizeof(elf::Elf64_Sym));
  for (auto [weight, offset] : llvm::zip(weights, offsets)) {
    elf::Elf64_Sym symbol;
    std::memset(&symbol, 0, sizeof(symbol));
    symbol.st_name = names.add(weight.name);
    symbol.setBindingAndType(elf::STB_GLOBAL, elf::STT_OBJECT);
    symbol.st_other = elf::STV_HIDDEN;
    symbol.st_shndx = SectionIndex::Weights;
    symbol.st_value = offset;
    symbol.st_size = weight.bytes.size();
    symbols.push_back(symbol);
  }

  // File offsets of each part.
  uint64_t dataOffset = alignTo(sizeof(elf::Elf64_Ehdr), 64);
  uint64_t symbolsOffset = alignTo(dataOffset + dataSize, 8);
  uint64_t symbolsSize = symbols.size() * sizeof(elf::Elf64_Sym);
  uint64_t namesOffset = symbolsOffset + symbolsSize;
  std::vector<elf::Elf64_Shdr> sections(SectionIndex::Count);
  std::memset(sections.data(), 0, sections.size() * sizeof(elf::Elf64_Shdr));
  auto describe = [&](SectionIndex index, llvm::StringRef name, uint32_t type, uint64_t flags,
                      uint64_t offset, uint64_t size, uint64_t alignment) {
    elf::Elf64_Shdr &section = sections[index];
    section.sh_name = sectionNames.add(name);
    section.sh_type = type;
    section.sh_flags = flags;
    section.sh_offset = offset;
    section.sh_size = size;
    section.sh_addralign = alignment;
  };
  if (weightsAreLargeData(triple))
    describe(Weights, ".lrodata.attnc_weights", elf::SHT_PROGBITS,
             elf::SHF_ALLOC | elf::SHF_X86_64_LARGE, dataOffset, dataSize, kWeightsAlignment);
  else
    describe(Weights, ".rodata.attnc_weights", elf::SHT_PROGBITS, elf::SHF_ALLOC, dataOffset,
             dataSize, kWeightsAlignment);
  describe(SymbolTable, ".symtab", elf::SHT_SYMTAB, 0, symbolsOffset, symbolsSize, 8);
  sections[SymbolTable].sh_link = Strings;
  sections[SymbolTable].sh_info = 1; // the first global symbol
  sections[SymbolTable].sh_entsize = sizeof(elf::Elf64_Sym);
  describe(Strings, ".strtab", elf::SHT_STRTAB, 0, namesOffset, names.bytes.size(), 1);
  uint64_t sectionNamesOffset = namesOffset + names.bytes.size();
  describe(NoteStack, ".note.GNU-stack", elf::SHT_PROGBITS, 0, sectionNamesOffset, 0, 1);
  // Named last, so that its own size includes every name.
  describe(SectionNames, ".shstrtab", elf::SHT_STRTAB, 0, sectionNamesOffset, 0, 1);
  sections[SectionNames].sh_size = sectionNames.bytes.size();
  sections[NoteStack].sh_offset = sectionNamesOffset + sectionNames.bytes.size();
  uint64_t headersOffset = alignTo(sectionNamesOffset + sectionNames.bytes.size(), 8);

  elf::Elf64_Ehdr header;
  std::memset(&header, 0, sizeof(header));
  std::memcpy(header.e_ident, elf::ElfMagic, 4);
  header.e_ident[elf::EI_CLASS] = elf::ELFCLASS64;
  header.e_ident[elf::EI_DATA] = elf::ELFDATA2LSB;
  header.e_ident[elf::EI_VERSION] = elf::EV_CURRENT;
  header.e_ident[elf::EI_OSABI] = elf::ELFOSABI_NONE;
  header.e_type = elf::ET_REL;
  header.e_machine = *machineOf(triple);
  header.e_version = elf::EV_CURRENT;
  header.e_shoff = headersOffset;
  header.e_ehsize = sizeof(elf::Elf64_Ehdr);
  header.e_shentsize = sizeof(elf::Elf64_Shdr);
  header.e_shnum = SectionIndex::Count;
  header.e_shstrndx = SectionNames;

  // The host writes its own byte order: canWriteWeightsObject admits only
  // little-endian targets, and attnc builds on little-endian hosts.
  static_assert(llvm::endianness::native == llvm::endianness::little);
  uint64_t at = 0;
  writeRaw(os, header);
  at += sizeof(header);
  pad(os, at, dataOffset);
  for (auto [weight, offset] : llvm::zip(weights, offsets)) {
    pad(os, at, dataOffset + offset);
    os.write(weight.bytes.data(), weight.bytes.size());
    at += weight.bytes.size();
  }
  pad(os, at, symbolsOffset);
  for (const elf::Elf64_Sym &symbol : symbols)
    writeRaw(os, symbol);
  os << names.bytes << sectionNames.bytes;
  at = sectionNamesOffset + sectionNames.bytes.size();
  pad(os, at, headersOffset);
  for (const elf::Elf64_Shdr &section : sections)
    writeRaw(os, section);
}

} // namespace attnc
