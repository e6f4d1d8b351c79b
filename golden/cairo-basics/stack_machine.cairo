#[derive(Drop, Copy, Debug, PartialEq)]
pub enum Instruction {
    Push: i64,
    Add,
    Sub,
    Mul,
    Dup,
    Swap,
    Pop,
}

#[derive(Drop, Copy, Debug, PartialEq)]
pub enum VmError {
    StackUnderflow,
    Overflow,
    EmptyResult,
}

/// Runs the program on an empty stack and returns the value on top at the end. The stack is an
/// `Array<i64>`; Cairo arrays only pop from the front, so it is kept with the top first.
pub fn run(program: Span<Instruction>) -> Result<i64, VmError> {
    let mut stack: Array<i64> = array![];
    for instruction in program {
        step(ref stack, *instruction)?;
    }
    match stack.pop_front() {
        Option::Some(top) => Result::Ok(top),
        Option::None => Result::Err(VmError::EmptyResult),
    }
}

fn pop(ref stack: Array<i64>) -> Result<i64, VmError> {
    match stack.pop_front() {
        Option::Some(value) => Result::Ok(value),
        Option::None => Result::Err(VmError::StackUnderflow),
    }
}

fn push(stack: Array<i64>, value: i64) -> Array<i64> {
    let mut out = array![value];
    out.append_span(stack.span());
    out
}

fn checked(value: i128) -> Result<i64, VmError> {
    match value.try_into() {
        Option::Some(small) => Result::Ok(small),
        Option::None => Result::Err(VmError::Overflow),
    }
}

fn step(ref stack: Array<i64>, instruction: Instruction) -> Result<(), VmError> {
    match instruction {
        Instruction::Push(value) => { stack = push(stack, value); },
        Instruction::Pop => { pop(ref stack)?; },
        Instruction::Dup => {
            let top = pop(ref stack)?;
            stack = push(push(stack, top), top);
        },
        Instruction::Swap => {
            let a = pop(ref stack)?;
            let b = pop(ref stack)?;
            stack = push(push(stack, a), b);
        },
        _ => {
            // binary operators: `b op a`, where `a` is the top
            let a: i128 = pop(ref stack)?.into();
            let b: i128 = pop(ref stack)?.into();
            let result = match instruction {
                Instruction::Add => checked(b + a)?,
                Instruction::Sub => checked(b - a)?,
                _ => checked(b * a)?,
            };
            stack = push(stack, result);
        },
    }
    Result::Ok(())
}
