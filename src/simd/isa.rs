//! The instruction sets the fast kernels run on, and how this CPU's best one is detected.

/// An instruction set a fast kernel can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Isa {
    /// Plain Rust over lane arrays that the compiler vectorises (SSE2, NEON); runs anywhere.
    Portable,
    /// x86-64 AVX2: four `f64` lanes per register.
    Avx2,
    /// x86-64 AVX-512F: eight `f64` lanes per register.
    Avx512,
}

impl Isa {
    /// The fastest variant this CPU can run (the detection is cached, so this is cheap).
    pub fn detect() -> Isa {
        [Isa::Avx512, Isa::Avx2]
            .into_iter()
            .find(|isa| isa.is_available())
            .unwrap_or(Isa::Portable)
    }

    /// Every variant this CPU can run, slowest first; [`Isa::Portable`] is always there.
    pub fn available() -> Vec<Isa> {
        [Isa::Portable, Isa::Avx2, Isa::Avx512]
            .into_iter()
            .filter(|isa| isa.is_available())
            .collect()
    }

    /// Whether this CPU can run the variant.
    pub fn is_available(self) -> bool {
        match self {
            Isa::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(not(target_arch = "x86_64"))]
            Isa::Avx2 | Isa::Avx512 => false,
        }
    }

    /// Lower-case name for reports, e.g. `"avx2"`.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Portable => "portable",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }
}
