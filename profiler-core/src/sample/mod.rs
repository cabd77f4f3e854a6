//! Background samplers that run beside the program: process memory and GPUs.

pub mod memory;
