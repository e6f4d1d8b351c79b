#[cfg(test)]
mod tests {
    use super::{Instruction, VmError, run};

    #[test]
    fn arithmetic() {
        // (2 + 3) * 4
        let program = array![
            Instruction::Push(2), Instruction::Push(3), Instruction::Add, Instruction::Push(4), Instruction::Mul,
        ];
        assert_eq!(run(program.span()), Result::Ok(20));
        // 10 - 3, operands in push order
        assert_eq!(run(array![Instruction::Push(10), Instruction::Push(3), Instruction::Sub].span()), Result::Ok(7));
        assert_eq!(run(array![Instruction::Push(3), Instruction::Push(10), Instruction::Sub].span()), Result::Ok(-7));
    }

    #[test]
    fn stack_operations() {
        let square = array![Instruction::Push(-6), Instruction::Dup, Instruction::Mul];
        assert_eq!(run(square.span()), Result::Ok(36));
        let swapped = array![Instruction::Push(1), Instruction::Push(2), Instruction::Swap, Instruction::Sub];
        assert_eq!(run(swapped.span()), Result::Ok(1));
        let popped = array![Instruction::Push(1), Instruction::Push(2), Instruction::Pop];
        assert_eq!(run(popped.span()), Result::Ok(1));
    }

    #[test]
    fn errors() {
        assert_eq!(run(array![Instruction::Add].span()), Result::Err(VmError::StackUnderflow));
        assert_eq!(run(array![Instruction::Push(1), Instruction::Swap].span()), Result::Err(VmError::StackUnderflow));
        assert_eq!(run(array![].span()), Result::Err(VmError::EmptyResult));
        let big = array![
            Instruction::Push(9223372036854775807), Instruction::Push(1), Instruction::Add,
        ];
        assert_eq!(run(big.span()), Result::Err(VmError::Overflow));
    }
}
