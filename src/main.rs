fn main() {
    println!("llm-conform");
}
