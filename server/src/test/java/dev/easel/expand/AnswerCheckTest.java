package dev.easel.expand;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What a language model's expansion must be before a job uses it. */
class AnswerCheckTest {
    private static final String PROMPT = "a red fox jumping over three logs in the snow";

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            good                | a red fox jumping over three mossy logs in the snow, soft winter light, low angle |
            empty               | '   '                                                                           | the answer is empty
            too long            | a red fox jumping over three logs in the snow, ${long}                          | the answer is 4
            two paragraphs      | a red fox jumping over three logs in the snow.\\n\\nSoft light.                  | the answer is not one paragraph
            preamble here is    | Here is your prompt - a red fox jumping over three logs in the snow             | the answer starts with a preamble
            preamble label      | Expanded prompt: a red fox jumping over three logs in the snow                  | the answer starts with a preamble
            preamble sure       | Sure! a red fox jumping over three logs in the snow                             | the answer starts with a preamble
            markdown bold       | a **red fox** jumping over three logs in the snow                               | the answer has markup
            html                | a red fox jumping over three logs in the <b>snow</b>                            | the answer has markup
            another script      | 雪の中で三本の丸太を飛び越える赤いキツネ                                           | the answer is in another language (cjk) than the prompt (en)
            another language    | un renard roux qui saute par-dessus trois bûches dans la neige                 | the answer is in another language (fr) than the prompt (en)
            lost a word         | a red fox jumping over logs in the snow, soft light                             | the answer lost the prompt's words three
            lost a subject      | a red dog jumping over three logs in the snow                                   | the answer lost the prompt's words fox
            """)
    void checks(String name, String answer, String expected) {
        String a = AnswerCheck.clean(answer.replace("\\n", "\n").replace("${long}", "soft light ".repeat(40)));
        var problem = AnswerCheck.problem(PROMPT, a, 400);
        if (expected == null) assertThat(problem).as(name).isEmpty();
        else assertThat(problem).as(name).hasValueSatisfying(p -> assertThat(p).startsWith(expected));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            kept        | a shop sign that says "OPEN LATE", warm neon glow on wet pavement |
            changed     | a shop sign that says "Open late", warm neon glow on wet pavement | the answer lost the quoted text "OPEN LATE"
            """)
    void quotedTextStaysExactly(String name, String answer, String expected) {
        var problem = AnswerCheck.problem("a shop sign that says \"OPEN LATE\"", answer, 400);
        if (expected == null) assertThat(problem).as(name).isEmpty();
        else assertThat(problem).as(name).hasValue(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            quotes around it  | "a red fox in the snow, soft light" | a red fox in the snow, soft light
            spaces            | '  a red fox in the snow  '          | a red fox in the snow
            quotes inside     | "a sign "OPEN" and a "SHUT" sign"    | "a sign "OPEN" and a "SHUT" sign"
            """)
    void cleaningUnwrapsOnePairOfQuotes(String name, String answer, String cleaned) {
        assertThat(AnswerCheck.clean(answer)).isEqualTo(cleaned);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            a fox in the snow with a lantern      | en
            un renard dans la neige avec une lanterne | fr
            ein Fuchs im Schnee mit einer Laterne | de
            лиса в снегу                          | cyrillic
            fox, snow, lantern                    |
            """)
    void theLanguageOfAText(String text, String language) {
        assertThat(AnswerCheck.language(text)).isEqualTo(language);
    }
}
